import type { RecordedEvent } from "../events/envelope.js";
import { aggregateOf } from "./aggregate.js";

/** ZITADEL's ListEventsRequest filters; empty values filter nothing. */
export interface EventFilter {
  /** Position to page from: asc returns events after it, desc events before it; 0 ignores it. */
  readonly sequence: bigint;
  readonly limit: number;
  readonly asc: boolean;
  readonly editorUserId: string;
  readonly eventTypes: ReadonlySet<string>;
  readonly aggregateId: string;
  readonly aggregateTypes: ReadonlySet<string>;
  readonly resourceOwner: string;
  /** Inclusive lower bound on `createdAt`. */
  readonly since?: Date;
  /** Exclusive upper bound on `createdAt`. */
  readonly until?: Date;
}

/** Every filter except sequence, limit and order, which decide where reading starts and stops. */
export function matchesFilter(filter: EventFilter, event: RecordedEvent): boolean {
  const { metadata } = event;
  if (filter.editorUserId && metadata.editorUser !== filter.editorUserId) return false;
  if (filter.eventTypes.size > 0 && !filter.eventTypes.has(event.type)) return false;
  if (filter.resourceOwner && metadata.resourceOwner !== filter.resourceOwner) return false;
  if (filter.aggregateId || filter.aggregateTypes.size > 0) {
    const aggregate = aggregateOf(event);
    if (filter.aggregateId && aggregate.id !== filter.aggregateId) return false;
    if (filter.aggregateTypes.size > 0 && !filter.aggregateTypes.has(aggregate.type)) return false;
  }
  if (filter.since || filter.until) {
    const createdAt = Date.parse(metadata.createdAt);
    if (filter.since && createdAt < filter.since.getTime()) return false;
    if (filter.until && createdAt >= filter.until.getTime()) return false;
  }
  return true;
}
