import { applicableTo, foreignEvent, type Evolving } from "../decider.js";
import type { AccessTokenType, Gender, UserEvent } from "../../events/user.js";
import type { UserStateName } from "../../projections/views.js";

/**
 * Where a user stands in its life, as ZITADEL's UserState without the two that are not states of
 * an existing user (UNSPECIFIED, DELETED: see `removed` below). A human who still has to
 * initialize (an initialization code is pending) is INITIAL while `active`.
 */
export type Lifecycle = "active" | "inactive" | "locked";

interface Existing {
  readonly resourceOwner: string;
  readonly userName: string;
  readonly lifecycle: Lifecycle;
  /** Metadata key -> value (base64), as the user's events set them. */
  readonly metadata: ReadonlyMap<string, string>;
}

export type UserState =
  | { readonly kind: "absent" }
  /** Gone for good: 404 to every command, and its id is never given out again. */
  | { readonly kind: "removed"; readonly resourceOwner: string; readonly erased: boolean }
  | (Existing & {
      readonly kind: "machine";
      readonly name: string;
      readonly description: string;
      readonly accessTokenType: AccessTokenType;
      /** Ids of the machine keys not removed. */
      readonly keyIds: readonly string[];
      /** Whether a client secret is set (its hash is in the event, never in the state). */
      readonly hasSecret: boolean;
      /** Ids of the personal access tokens not removed. */
      readonly tokenIds: readonly string[];
    })
  | (Existing & {
      readonly kind: "human";
      readonly initialized: boolean;
      readonly profile: HumanProfile;
      readonly email: string;
      readonly isEmailVerified: boolean;
      /** "" when the human has none. */
      readonly phone: string;
      readonly isPhoneVerified: boolean;
    });

/** What UpdateHumanProfile replaces, as ZITADEL's profile write model holds it. */
export interface HumanProfile {
  readonly firstName: string;
  readonly lastName: string;
  readonly nickName: string;
  readonly displayName: string;
  readonly preferredLanguage: string;
  readonly gender: Gender;
}

export type ExistingUser = Extract<UserState, { kind: "machine" | "human" }>;

export const initialUserState = (): UserState => ({ kind: "absent" });

export const exists = (state: UserState): state is ExistingUser => state.kind === "machine" || state.kind === "human";

/** ZITADEL's user state names, as the API shows them. */
export function userStateName(state: ExistingUser): UserStateName {
  if (state.lifecycle === "inactive") return "USER_STATE_INACTIVE";
  if (state.lifecycle === "locked") return "USER_STATE_LOCKED";
  return state.kind === "human" && !state.initialized ? "USER_STATE_INITIAL" : "USER_STATE_ACTIVE";
}

/**
 * Reduces what the user commands decide on. Every event names the kinds of user it applies to
 * (`absent` for a creation) and is refused on any other.
 */
export function evolveUser(state: UserState, event: Evolving<UserEvent>): UserState {
  switch (event.type) {
    case "user.machine.added":
      applicableTo(state, event, "absent");
      return {
        kind: "machine",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        lifecycle: "active",
        metadata: new Map(),
        name: event.data.name,
        description: event.data.description ?? "",
        accessTokenType: event.data.accessTokenType ?? 0,
        keyIds: [],
        hasSecret: false,
        tokenIds: [],
      };
    case "user.machine.changed": {
      const machine = applicableTo(state, event, "machine");
      return {
        ...machine,
        name: event.data.name ?? machine.name,
        description: event.data.description ?? machine.description,
        accessTokenType: event.data.accessTokenType ?? machine.accessTokenType,
      };
    }
    case "user.human.added":
      applicableTo(state, event, "absent");
      return {
        kind: "human",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        lifecycle: "active",
        metadata: new Map(),
        initialized: true,
        profile: {
          firstName: event.data.firstName,
          lastName: event.data.lastName,
          nickName: event.data.nickName ?? "",
          displayName: event.data.displayName ?? "",
          preferredLanguage: event.data.preferredLanguage ?? "",
          gender: event.data.gender ?? 0,
        },
        email: event.data.email,
        isEmailVerified: false,
        phone: event.data.phone ?? "",
        isPhoneVerified: false,
      };
    case "user.human.profile.changed": {
      const human = applicableTo(state, event, "human");
      return { ...human, profile: { ...human.profile, ...event.data } };
    }
    case "user.human.email.changed":
      return { ...applicableTo(state, event, "human"), email: event.data.email, isEmailVerified: false };
    case "user.human.email.verified":
      return { ...applicableTo(state, event, "human"), isEmailVerified: true };
    case "user.human.phone.changed":
      return { ...applicableTo(state, event, "human"), phone: event.data.phone, isPhoneVerified: false };
    case "user.human.phone.verified":
      return { ...applicableTo(state, event, "human"), isPhoneVerified: true };
    case "user.human.phone.removed":
      return { ...applicableTo(state, event, "human"), phone: "", isPhoneVerified: false };
    case "user.human.initialization.code.added":
      return { ...applicableTo(state, event, "human"), initialized: false };
    case "user.deactivated":
      return { ...applicableTo(state, event, "machine", "human"), lifecycle: "inactive" };
    case "user.locked":
      return { ...applicableTo(state, event, "machine", "human"), lifecycle: "locked" };
    case "user.reactivated":
    case "user.unlocked":
      return { ...applicableTo(state, event, "machine", "human"), lifecycle: "active" };
    case "user.username.changed":
      return { ...applicableTo(state, event, "machine", "human"), userName: event.data.userName };
    case "user.removed":
      applicableTo(state, event, "machine", "human");
      return { kind: "removed", resourceOwner: event.metadata.resourceOwner, erased: false };
    case "user.personal.data.erased":
      return { ...applicableTo(state, event, "removed"), erased: true };
    case "user.machine.key.added": {
      const machine = applicableTo(state, event, "machine");
      return { ...machine, keyIds: [...machine.keyIds, event.data.keyId] };
    }
    case "user.machine.key.removed": {
      const machine = applicableTo(state, event, "machine");
      return { ...machine, keyIds: machine.keyIds.filter((id) => id !== event.data.keyId) };
    }
    case "user.machine.secret.set":
      return { ...applicableTo(state, event, "machine"), hasSecret: true };
    case "user.machine.secret.removed":
      return { ...applicableTo(state, event, "machine"), hasSecret: false };
    case "user.pat.added": {
      const machine = applicableTo(state, event, "machine");
      return { ...machine, tokenIds: [...machine.tokenIds, event.data.tokenId] };
    }
    case "user.pat.removed": {
      const machine = applicableTo(state, event, "machine");
      return { ...machine, tokenIds: machine.tokenIds.filter((id) => id !== event.data.tokenId) };
    }
    case "user.metadata.set": {
      const user = applicableTo(state, event, "machine", "human");
      return { ...user, metadata: new Map(user.metadata).set(event.data.key, event.data.value) };
    }
    case "user.metadata.removed": {
      const user = applicableTo(state, event, "machine", "human");
      const metadata = new Map(user.metadata);
      metadata.delete(event.data.key);
      return { ...user, metadata };
    }
    // Codes and passwords decide nothing here; and, as in ZITADEL, setting a password does not
    // initialize a human (only redeeming its initialization code does).
    case "user.human.email.code.added":
    case "user.human.phone.code.added":
    case "user.human.password.changed":
      return applicableTo(state, event, "human");
    default:
      return foreignEvent(event);
  }
}
