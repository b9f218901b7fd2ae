import type { RecordedEvent } from "../events/envelope.js";
import type { UniqueConstraint } from "../events/eventStore.js";

/**
 * EventStoreDB's default maximum append (`MaxAppendSize`), the strictest of our stores: it counts
 * the data and metadata of the append's events, and their types twice (as UTF-16).
 */
export const MAX_APPEND_BYTES = 1024 * 1024;
const MAX_APPEND_EVENTS = 500;
// The unique claims of an append ride in its first event's metadata, under this key (esdb/envelope.ts).
const CLAIMS_KEY_BYTES = Buffer.byteLength(',"$uniqueConstraints":');

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");

/**
 * Consecutive events of one stream for one append, cut before the next one would make it too
 * large for EventStoreDB (or longer than 500 events).
 */
export class AppendBatch {
  private events: RecordedEvent[] = [];
  private bytes = 0;

  constructor(private readonly claims: (event: RecordedEvent) => readonly UniqueConstraint[]) {}

  get last(): RecordedEvent | undefined {
    return this.events.at(-1);
  }

  /** Whether `event` may join the batch: the same stream, and room for it. */
  takes(event: RecordedEvent): boolean {
    const last = this.last;
    return !last || (last.stream === event.stream && this.events.length < MAX_APPEND_EVENTS && this.bytes + this.size(event) <= MAX_APPEND_BYTES);
  }

  add(event: RecordedEvent): void {
    this.events.push(event);
    this.bytes += this.size(event);
  }

  /** The batch's events, leaving it empty. */
  take(): RecordedEvent[] {
    const events = this.events;
    this.events = [];
    this.bytes = 0;
    return events;
  }

  private size(event: RecordedEvent): number {
    const claims = this.claims(event);
    return jsonBytes(event.data) + jsonBytes(event.metadata) + event.type.length * 2 + (claims.length ? jsonBytes(claims) + CLAIMS_KEY_BYTES : 0);
  }
}
