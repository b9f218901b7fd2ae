import type { NewEvent, RecordedEvent } from "../events/envelope.js";
import type { AppendResult, EventStore, UniqueConstraint } from "../events/eventStore.js";
import type { OrgAdded, OrgDomain } from "../events/org.js";
import type { HumanAdded, MachineAdded, UserNameChanged, UserRemoved } from "../events/user.js";
import { uniqueConstraint } from "../commands/uniqueConstraints.js";
import { AppendBatch } from "./appendBatch.js";

export interface ImportOptions {
  /** Import into a store that already holds events (appends still check every revision). */
  readonly force?: boolean;
}

/**
 * The unique values an event claims, as the command that wrote it claimed them, so that an
 * imported log refuses a taken userName exactly as the original did.
 */
export function claims(event: RecordedEvent): UniqueConstraint[] {
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

/**
 * Appends the events in order, each stream's at the revisions they had: consecutive events of one
 * stream go in one append that expects the stream's previous revision, so a gap, a repeat or a
 * stream that already exists fails the import. Verify the input first (`verifyLog`): a failure
 * half-way leaves what was appended before it.
 */
export async function importLog(store: EventStore, events: AsyncIterable<RecordedEvent>, { force = false }: ImportOptions = {}, onEvents: (count: number) => void = () => {}): Promise<number> {
  if (!force && (await store.headPosition()) !== 0n) throw new Error("the target event store is not empty (use --force to import into it anyway)");
  let inFlight: Promise<AppendResult>[] = [];
  const batch = new AppendBatch(claims);
  let count = 0;

  const submit = () => {
    const appending = batch.take();
    const first = appending[0];
    if (!first) return;
    const newEvents: NewEvent[] = appending.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
    const size = appending.length;
    inFlight.push(
      store
        .append(first.stream, newEvents, { expectedRevision: first.revision === 0 ? "no_stream" : first.revision - 1, uniqueConstraints: appending.flatMap(claims) })
        .then((result) => {
          onEvents(size);
          return result;
        }),
    );
  };
  const settle = async () => {
    const pending = inFlight;
    inFlight = [];
    await Promise.all(pending);
  };

  for await (const event of events) {
    const last = batch.last;
    if (last?.stream === event.stream && event.revision !== last.revision + 1) {
      throw new Error(`${event.stream}: revision ${event.revision} follows ${last.revision}`);
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
