import type { Writable } from "node:stream";
import type { RecordedEvent } from "../events/envelope.js";
import { writeWithBackpressure } from "./backpressure.js";
import { wireEvent } from "./wireEvent.js";

/** One Server-Sent Events frame; its id is the event's position, what `Last-Event-ID` resumes from. */
export const sseFrame = (event: RecordedEvent): string =>
  `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(wireEvent(event))}\n\n`;

export interface PipeOptions {
  /** Which events become frames. */
  readonly wanted: (event: RecordedEvent) => boolean;
  /** Asked for every event read, before `wanted`: false ends the stream. */
  readonly admitted?: (event: RecordedEvent) => Promise<boolean>;
}

/**
 * Writes the `wanted` events as frames, reading the next event only once the last frame fits
 * in the stream's buffer. Returns when the events end, the stream closes, or an event is not admitted.
 */
export async function pipeEvents(events: AsyncIterable<RecordedEvent>, out: Writable, { wanted, admitted }: PipeOptions): Promise<void> {
  for await (const event of events) {
    if (admitted && !(await admitted(event))) return;
    if (!wanted(event)) continue;
    if (!(await writeWithBackpressure(out, sseFrame(event)))) return;
  }
}
