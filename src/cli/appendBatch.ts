import type { RecordedEvent } from "../events/envelope.js";
import type { UniqueConstraint } from "../events/eventStore.js";
import { appendWeight, MAX_APPEND_BYTES } from "./appendSize.js";

const MAX_APPEND_EVENTS = 500;

/**
 * Consecutive events of one stream for one append, cut before the next one would make it too
 * large for EventStoreDB (`MAX_APPEND_BYTES`, claims included) or longer than 500 events.
 */
export class AppendBatch {
  private events: RecordedEvent[] = [];
  private claimed: UniqueConstraint[] = [];
  private bytes = 0;

  constructor(private readonly claims: (event: RecordedEvent) => readonly UniqueConstraint[]) {}

  get last(): RecordedEvent | undefined {
    return this.events.at(-1);
  }

  /** Whether `event` may join the batch: the same stream, and room for it. */
  takes(event: RecordedEvent): boolean {
    const last = this.last;
    if (!last) return true;
    return last.stream === event.stream && this.events.length < MAX_APPEND_EVENTS && this.bytes + this.weight(event) <= MAX_APPEND_BYTES;
  }

  add(event: RecordedEvent): void {
    this.bytes += this.weight(event);
    this.events.push(event);
    this.claimed.push(...this.claims(event));
  }

  /** The batch's events and their unique claims, leaving it empty. */
  take(): { events: RecordedEvent[]; claims: UniqueConstraint[] } {
    const taken = { events: this.events, claims: this.claimed };
    this.events = [];
    this.claimed = [];
    this.bytes = 0;
    return taken;
  }

  private weight(event: RecordedEvent): number {
    return appendWeight(event, this.claims(event), this.claimed.length);
  }
}
