import { ANY, NO_STREAM, type AppendExpectedRevision, type JSONEventData, type JSONType, type RecordedEvent as EsdbRecordedEvent } from "@eventstore/db-client";
import type { EventMetadata, NewEvent, RecordedEvent } from "../envelope.js";
import { InvalidEvent } from "../errors.js";
import type { ExpectedRevision, UniqueConstraint } from "../eventStore.js";

/**
 * The unique constraints an append carried, kept in its first event's metadata next to the
 * envelope's: a reservation whose release was decided but never written is recognised by it.
 */
export const CONSTRAINTS_KEY = "$uniqueConstraints";

/** The category of the reservation streams (reservations.ts): ours, but not part of the log we serve. */
export const RESERVATION_CATEGORY = "unique";

type StoredMetadata = EventMetadata & { readonly [CONSTRAINTS_KEY]?: readonly UniqueConstraint[] };

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The server keeps an id as a GUID and gives it back in lower case, so that is how it is sent
 * and compared. Anything but a UUID the server would refuse with a bare "BadRequest".
 */
export function eventId(id: string): string {
  if (!uuid.test(id)) throw new InvalidEvent(`event id ${JSON.stringify(id.slice(0, 40))} is not a UUID, as EventStoreDB needs`);
  return id.toLowerCase();
}

export function toEventData(event: NewEvent, constraints?: readonly UniqueConstraint[]): JSONEventData {
  const metadata: StoredMetadata = constraints?.length ? { ...event.metadata, [CONSTRAINTS_KEY]: constraints } : event.metadata;
  return { id: eventId(event.id), contentType: "application/json", type: event.type, data: event.data as JSONType, metadata: { ...metadata } };
}

// Servers before 22.6 send no position with events read from a stream: the client then reads
// ulong.MaxValue. No log position reaches 2^63 (the server's are int64).
const noPosition = 2n ** 63n;

/** Our envelope from the driver's; the position is the event's commit position in `$all`. */
export function fromRecorded(event: EsdbRecordedEvent): RecordedEvent {
  if (!event.position || event.position.commit >= noPosition) {
    throw new Error("EventStoreDB 22.6 or later is needed: events read from streams carry no position");
  }
  const { [CONSTRAINTS_KEY]: _constraints, ...metadata } = event.metadata as unknown as StoredMetadata;
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata,
    stream: event.streamId,
    revision: Number(event.revision),
    position: event.position.commit,
  };
}

export const constraintsOf = (event: EsdbRecordedEvent): readonly UniqueConstraint[] =>
  (event.metadata as unknown as StoredMetadata | undefined)?.[CONSTRAINTS_KEY] ?? [];

/** The log we serve: `$all` without the server's `$`-streams and `$`-types and without our reservations. */
export const isServed = (event: EsdbRecordedEvent): boolean =>
  !event.streamId.startsWith("$") && !event.type.startsWith("$") && !event.streamId.startsWith(`${RESERVATION_CATEGORY}-`);

/** The same, as a server-side stream-name filter (.NET regex) for subscriptions. */
export const servedStreams = `^(?!\\$|${RESERVATION_CATEGORY}-)`;

export function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === "no_stream") return NO_STREAM;
  return expected === "any" ? ANY : BigInt(expected);
}

/** In `$all`, an event's commit and prepare positions are one and the same log position. */
export const logPosition = (position: bigint) => ({ commit: position, prepare: position });
