import type { NewEvent } from "../events/envelope.js";
import { CONSTRAINTS_KEY } from "../events/esdb/envelope.js";
import type { UniqueConstraint } from "../events/eventStore.js";

/**
 * EventStoreDB's default MaxAppendSize: what one append may weigh, counting data, metadata and type
 * of each of its events. The embedded log has no such limit, but a log must stay movable to
 * EventStoreDB (`idledger migrate`), so the CLI keeps every append under it.
 */
export const MAX_APPEND_BYTES = 1024 * 1024;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** What one event weighs in an append, as EventStoreDB counts it: data, metadata, and the type as UTF-16. */
export const eventBytes = (event: NewEvent): number => bytes(event.data) + bytes(event.metadata) + event.type.length * 2;

/**
 * What one more unique claim adds to an append: the claims ride in its first event's metadata as
 * `,"$uniqueConstraints":[claim,claim]` (src/events/esdb/envelope.ts); the first brings the key along.
 */
export const claimBytes = (claim: UniqueConstraint, isFirst: boolean): number => bytes(claim) + (isFirst ? bytes(CONSTRAINTS_KEY) + 4 : 1);

/** What `event` adds to an append that holds `claimsBefore` claims so far, its own claims included. */
export const appendWeight = (event: NewEvent, claims: readonly UniqueConstraint[], claimsBefore: number): number =>
  claims.reduce((sum, claim, i) => sum + claimBytes(claim, claimsBefore + i === 0), eventBytes(event));
