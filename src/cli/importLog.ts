import type { NewEvent, RecordedEvent } from "../events/envelope.js";
import type { AppendResult, EventStore, UniqueConstraint } from "../events/eventStore.js";
import type { OrgAdded, OrgDomain } from "../events/org.js";
import type { HumanAdded, MachineAdded, UserNameChanged, UserRemoved } from "../events/user.js";
import { uniqueConstraint } from "../commands/uniqueConstraints.js";
import { ERASED } from "../events/personalData.js";
import { AppendBatch } from "./appendBatch.js";

export interface ImportOptions {
  /** Import into a store that already holds events (appends still check every revision). */
  readonly force?: boolean;
  /** What each event claims; default `claims`, which needs the event opened (src/cli/sealedClaims.ts for sealed ones). */
  readonly claimsOf?: (event: RecordedEvent) => UniqueConstraint[];
}

/**
 * The unique values an event claims, as the command that wrote it claimed them, so that an
 * imported log refuses a taken userName exactly as the original did. It reads plaintext: events
 * opened by the personal-data layer (src/privacy/personalDataStore.ts), which hashes the userNames.
 */
export function claims(event: RecordedEvent): UniqueConstraint[] {
  // An erased userName was given back when its user was removed (only a removed user is erased).
  return claimed(event).filter((constraint) => constraint.value !== ERASED);
}

function claimed(event: RecordedEvent): UniqueConstraint[] {
  switch (event.type) {
    case "user.machine.added":
    case "user.human.added":
      return [uniqueConstraint("usernames", "add", (event.data as MachineAdded | HumanAdded).userName)];
    case "user.username.changed": {
      const { userName, oldUserName } = event.data as UserNameChanged;
      return [uniqueConstraint("usernames", "remove", oldUserName), uniqueConstraint("usernames", "add", userName)];
    }
    case "user.removed":
      return [uniqueConstraint("usernames", "remove", (event.data as UserRemoved).userName)];
    case "org.added":
      return [uniqueConstraint("orgnames", "add", (event.data as OrgAdded).name)];
    case "org.domain.added":
      return [uniqueConstraint("orgdomains", "add", (event.data as OrgDomain).domain)];
    default:
      return [];
  }
}

// Appends submitted together share a transaction (the store's group commit); this many at once.
const appendsInFlight = 256;

/** Import refuses a log that holds events already, unless forced. */
export async function assertEmpty(store: EventStore): Promise<void> {
  if ((await store.headPosition()) !== 0n) throw new Error("the target event store is not empty (use --force to import into it anyway)");
}

/** An import that stopped half-way: how far it got, and that running it again resumes. */
export class ImportFailed extends Error {
  override readonly name = "ImportFailed";
  constructor(
    readonly appended: number,
    override readonly cause: unknown,
  ) {
    super(
      `${cause instanceof Error ? cause.message : String(cause)}; ${appended} events were appended (each append whole or not at all). ` +
        "Run the same import again with --force to resume: appends already in the log are recognised by their event ids and skipped",
    );
  }
}

/**
 * Appends the events in order, each stream's at the revisions they had: consecutive events of one
 * stream go in one append that expects the stream's previous revision, so a gap, a repeat or a
 * stream that already exists fails the import. An append holds at most 500 events and
 * `MAX_APPEND_BYTES` (src/cli/appendBatch.ts; an event heavier than that alone is refused before anything is appended
 * by `verifyLog`, which the input must pass first). The appends depend on the input only, so a run
 * again after a failure appends the same batches, and those already there are idempotent no-ops.
 */
export async function importLog(store: EventStore, events: AsyncIterable<RecordedEvent>, { force = false, claimsOf = claims }: ImportOptions = {}, onEvents: (count: number) => void = () => {}): Promise<number> {
  if (!force) await assertEmpty(store);
  let inFlight: Promise<AppendResult>[] = [];
  const batch = new AppendBatch(claimsOf);
  let count = 0;
  let appended = 0;

  const submit = () => {
    const { events: appending, claims: uniqueConstraints } = batch.take();
    const first = appending[0];
    if (!first) return;
    const newEvents: NewEvent[] = appending.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
    const size = appending.length;
    inFlight.push(
      store.append(first.stream, newEvents, { expectedRevision: first.revision === 0 ? "no_stream" : first.revision - 1, uniqueConstraints }).then((result) => {
        appended += size;
        onEvents(size);
        return result;
      }),
    );
  };
  const settle = async () => {
    const pending = inFlight;
    inFlight = [];
    // Every append in flight settles before the failure is told, so that `appended` is the whole truth.
    const failed = (await Promise.allSettled(pending)).find((outcome) => outcome.status === "rejected");
    if (failed) throw new ImportFailed(appended, failed.reason);
  };

  for await (const event of events) {
    const last = batch.last;
    if (last?.stream === event.stream && event.revision !== last.revision + 1) {
      await settle();
      throw new ImportFailed(appended, new Error(`${event.stream}: revision ${event.revision} follows ${last.revision}`));
    }
    if (!batch.takes(event)) submit();
    batch.add(event);
    count++;
    if (inFlight.length >= appendsInFlight) await settle();
  }
  submit();
  await settle();
  return count;
}
