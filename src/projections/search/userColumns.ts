import type { UserStateName } from "../views.js";
import { fold } from "./textMatch.js";
import { TrigramPostings } from "./trigrams.js";
import type { SearchableUser } from "./userSearch.js";

const HUMAN_FIELDS = ["firstName", "lastName", "nickName", "displayName", "email"] as const;
export type HumanField = (typeof HUMAN_FIELDS)[number];

/** ZITADEL's domain.UserState numbers (ORDER BY state sorts by them). */
export const stateNumbers: Readonly<Record<UserStateName, number>> = {
  USER_STATE_ACTIVE: 1,
  USER_STATE_INACTIVE: 2,
  USER_STATE_LOCKED: 4,
  USER_STATE_INITIAL: 6,
};
const stateNames = Object.fromEntries(Object.entries(stateNumbers).map(([name, n]) => [n, name])) as Record<number, UserStateName>;

/**
 * The users of one index as columns by slot (one slot per user, reused after a removal), which
 * keeps a million users in a few hundred bytes each, plus the lookups that avoid reading them
 * all: slots by id, by org, by folded userName and email, and trigram postings of both.
 */
export class UserColumns {
  readonly ids: (string | undefined)[] = [];
  readonly orgs: string[] = [];
  readonly humans: boolean[] = [];
  readonly states: number[] = [];
  readonly initialized: boolean[] = [];
  readonly creationDates: string[] = [];
  readonly creationTimes: number[] = [];
  readonly userNames: string[] = [];
  readonly userNamesFolded: string[] = [];
  /** Human fields, raw and folded; undefined for a machine. */
  readonly raw: Record<HumanField, (string | undefined)[]> = { firstName: [], lastName: [], nickName: [], displayName: [], email: [] };
  readonly folded: Record<HumanField, (string | undefined)[]> = { firstName: [], lastName: [], nickName: [], displayName: [], email: [] };

  readonly slotById = new Map<string, number>();
  readonly slotsByOrg = new Map<string, Set<number>>();
  /** Folded userName or email -> slot, or slots when several share one (an imported log may hold such). */
  readonly byUserName = new Map<string, number | Set<number>>();
  readonly byEmail = new Map<string, number | Set<number>>();
  readonly userNameTrigrams = new TrigramPostings();
  readonly emailTrigrams = new TrigramPostings();
  private readonly free: number[] = [];

  put(user: SearchableUser): void {
    const existing = this.slotById.get(user.id);
    const userNameFolded = same(user.userName, fold(user.userName));
    const email = user.human?.email;
    const emailFolded = email === undefined ? undefined : same(email, fold(email));
    // A put that keeps a text (most do: a lock, a profile change) keeps its postings: appending
    // them again would only add stale entries for the next compaction to drop.
    const kept: KeptTexts =
      existing === undefined ? NOTHING_KEPT : { userName: this.userNamesFolded[existing] === userNameFolded, email: this.folded.email[existing] === emailFolded };
    if (existing !== undefined) this.unlink(existing, kept);
    const slot = existing ?? this.free.pop() ?? this.ids.length;
    this.ids[slot] = user.id;
    this.orgs[slot] = user.org;
    this.humans[slot] = user.type === "human";
    this.states[slot] = stateNumbers[user.state];
    this.initialized[slot] = user.initialized;
    this.creationDates[slot] = user.creationDate;
    this.creationTimes[slot] = Date.parse(user.creationDate);
    this.userNames[slot] = user.userName;
    this.userNamesFolded[slot] = userNameFolded;
    for (const field of HUMAN_FIELDS) {
      const value = user.human?.[field];
      this.raw[field][slot] = value;
      this.folded[field][slot] = field === "email" ? emailFolded : value === undefined ? undefined : same(value, fold(value));
    }
    this.link(slot, kept);
  }

  remove(id: string): void {
    const slot = this.slotById.get(id);
    if (slot === undefined) return;
    this.unlink(slot);
    this.slotById.delete(id);
    this.ids[slot] = undefined;
    for (const field of HUMAN_FIELDS) this.raw[field][slot] = this.folded[field][slot] = undefined;
    this.free.push(slot);
  }

  get(id: string): SearchableUser | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    const email = this.raw.email[slot];
    return {
      id,
      org: this.orgs[slot]!,
      type: this.humans[slot] ? "human" : "machine",
      state: stateNames[this.states[slot]!]!,
      initialized: this.initialized[slot]!,
      userName: this.userNames[slot]!,
      creationDate: this.creationDates[slot]!,
      ...(this.humans[slot]
        ? {
            human: {
              firstName: this.raw.firstName[slot]!,
              lastName: this.raw.lastName[slot]!,
              nickName: this.raw.nickName[slot]!,
              displayName: this.raw.displayName[slot]!,
              email: email!,
            },
          }
        : {}),
    };
  }

  /** Slots whose folded userName (or email) equals `folded`. */
  static lookup(map: Map<string, number | Set<number>>, folded: string): readonly number[] {
    const found = map.get(folded);
    return found === undefined ? [] : typeof found === "number" ? [found] : [...found];
  }

  clear(): void {
    for (const list of [this.ids, this.orgs, this.humans, this.states, this.initialized, this.creationDates, this.creationTimes, this.userNames, this.userNamesFolded]) list.length = 0;
    for (const field of HUMAN_FIELDS) this.raw[field].length = this.folded[field].length = 0;
    for (const map of [this.slotById, this.slotsByOrg, this.byUserName, this.byEmail]) map.clear();
    this.userNameTrigrams.clear();
    this.emailTrigrams.clear();
    this.free.length = 0;
  }

  private link(slot: number, kept: KeptTexts): void {
    this.slotById.set(this.ids[slot]!, slot);
    const org = this.orgs[slot]!;
    let members = this.slotsByOrg.get(org);
    if (!members) this.slotsByOrg.set(org, (members = new Set()));
    members.add(slot);
    const userName = this.userNamesFolded[slot]!;
    addTo(this.byUserName, userName, slot);
    if (!kept.userName) this.userNameTrigrams.add(slot, userName);
    const email = this.folded.email[slot];
    if (email !== undefined) {
      addTo(this.byEmail, email, slot);
      if (!kept.email) this.emailTrigrams.add(slot, email);
    }
    if (this.userNameTrigrams.compactable() || this.emailTrigrams.compactable()) this.reindexTrigrams();
  }

  private unlink(slot: number, kept: KeptTexts = NOTHING_KEPT): void {
    const org = this.orgs[slot]!;
    const members = this.slotsByOrg.get(org);
    members?.delete(slot);
    if (members?.size === 0) this.slotsByOrg.delete(org);
    const userName = this.userNamesFolded[slot]!;
    removeFrom(this.byUserName, userName, slot);
    if (!kept.userName) this.userNameTrigrams.retire(userName);
    const email = this.folded.email[slot];
    if (email !== undefined) {
      removeFrom(this.byEmail, email, slot);
      if (!kept.email) this.emailTrigrams.retire(email);
    }
  }

  // Stale postings outnumber live ones: start the postings over from what is stored now.
  private reindexTrigrams(): void {
    this.userNameTrigrams.clear();
    this.emailTrigrams.clear();
    for (const slot of this.slotById.values()) {
      this.userNameTrigrams.add(slot, this.userNamesFolded[slot]!);
      const email = this.folded.email[slot];
      if (email !== undefined) this.emailTrigrams.add(slot, email);
    }
  }
}

/** Which of a slot's texts a put leaves as they were: their trigram postings stay. */
interface KeptTexts {
  readonly userName: boolean;
  readonly email: boolean;
}

const NOTHING_KEPT: KeptTexts = { userName: false, email: false };

// Reuse the raw string when folding changes nothing: one string in memory instead of two.
const same = (raw: string, folded: string) => (raw === folded ? raw : folded);

// A key most users hold alone is one number; a shared one (many users may give one email) a Set,
// so that adding or removing one of N users sharing it costs O(1), not a copy of all N.
function addTo(map: Map<string, number | Set<number>>, key: string, slot: number): void {
  const found = map.get(key);
  if (found === undefined) map.set(key, slot);
  else if (typeof found === "number") map.set(key, new Set([found, slot]));
  else found.add(slot);
}

function removeFrom(map: Map<string, number | Set<number>>, key: string, slot: number): void {
  const found = map.get(key);
  if (found === slot) map.delete(key);
  else if (typeof found === "object") {
    found.delete(slot);
    if (found.size === 1) map.set(key, found.values().next().value!);
  }
}
