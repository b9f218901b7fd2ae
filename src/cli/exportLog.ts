import type { Writable } from "node:stream";
import type { EventStore } from "../events/eventStore.js";
import { writeWithBackpressure } from "../subscribers/backpressure.js";
import { toJsonLine } from "./jsonLines.js";

export interface ExportRange {
  /** Exclusive: events after this position. Default: from the start. */
  readonly from?: bigint;
  /** Inclusive: events up to this position. Default: to the head. */
  readonly to?: bigint;
}

// Lines are written in chunks of about this size: one write per event would dominate the cost.
const chunkSize = 256 * 1024;

/** Writes the log's events in (from, to] as JSON Lines; returns how many. Waits for 'drain'. */
export async function exportLog(store: EventStore, out: Writable, { from = 0n, to }: ExportRange = {}, onEvents: (count: number) => void = () => {}): Promise<number> {
  let count = 0;
  let chunk = "";
  let inChunk = 0;
  const flush = async () => {
    if (!chunk) return;
    if (!(await writeWithBackpressure(out, chunk))) throw new Error("the output closed before the export ended");
    onEvents(inChunk);
    chunk = "";
    inChunk = 0;
  };
  for await (const event of store.readAll({ from })) {
    if (to !== undefined && event.position > to) break;
    chunk += toJsonLine(event);
    inChunk++;
    count++;
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return count;
}
