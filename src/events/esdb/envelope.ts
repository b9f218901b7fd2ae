import { ANY, NO_STREAM, type AppendExpectedRevision, type JSONEventData, type JSONType, type RecordedEvent as EsdbRecordedEvent } from "@eventstore/db-client";
import type { EventMetadata, NewEvent, RecordedEvent } from "../envelope.js";
import type { ExpectedRevision, UniqueConstraint } from "../eventStore.js";

/**
 * The unique constraints an append carried, kept in its first event's metadata next to the
 * envelope's: a reservation whose release was decided but never written is recognised by it.
 */
export const CONSTRAINTS_KEY = "$uniqueConstraints";

type StoredMetadata = EventMetadata & { readonly [CONSTRAINTS_KEY]?: readonly UniqueConstraint[] };

export function toEventData(event: NewEvent, constraints?: readonly UniqueConstraint[]): JSONEventData {
  const metadata: StoredMetadata = constraints?.length ? { ...event.metadata, [CONSTRAINTS_KEY]: constraints } : event.metadata;
  return { id: event.id, contentType: "application/json", type: event.type, data: event.data as JSONType, metadata: { ...metadata } };
}

/** Our envelope from the driver's; the position is the event's commit position in `$all`. */
export function fromRecorded(event: EsdbRecordedEvent): RecordedEvent {
  if (!event.position) throw new Error("EventStoreDB 22.6 or later is needed: events read from streams carry no position");
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

/** `$`-streams and `$`-types are the server's own (and our reservations): never part of the log we serve. */
export const isSystemEvent = (event: EsdbRecordedEvent): boolean => event.streamId.startsWith("$") || event.type.startsWith("$");

export function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === "no_stream") return NO_STREAM;
  return expected === "any" ? ANY : BigInt(expected);
}

/** In `$all`, an event's commit and prepare positions are one and the same log position. */
export const logPosition = (position: bigint) => ({ commit: position, prepare: position });
