import { setImmediate as nextTurn } from "node:timers/promises";
import type { RecordedEvent } from "../envelope.js";
import type { ReadAllOptions } from "../eventStore.js";

export interface Pages {
  /** Up to `limit` events after `position`, oldest first. */
  readonly after: (position: bigint, limit: number) => RecordedEvent[];
  /** Up to `limit` events before `position`, newest first. */
  readonly before: (position: bigint, limit: number) => RecordedEvent[];
}

// Positions are int64: "before the largest one" reads from the newest event.
const END = 2n ** 63n - 1n;

// Pages through the log so that reading a huge one never holds more than a page in memory, and
// lets the event loop take a turn between pages: reads are synchronous, and without the turn a
// long scan would keep every other request (and /debug/healthz) waiting until it ends.
export async function* readAll(
  pages: Pages,
  pageSize: number,
  { from, maxCount = Infinity, direction = "forwards" }: ReadAllOptions = {},
): AsyncGenerator<RecordedEvent> {
  const backwards = direction === "backwards";
  let cursor = from ?? (backwards ? END : 0n);
  let left = maxCount;
  while (left > 0) {
    const limit = Math.min(pageSize, left);
    const page = backwards ? pages.before(cursor, limit) : pages.after(cursor, limit);
    for (const event of page) {
      yield event;
      cursor = event.position;
    }
    if (page.length < limit) return;
    left -= page.length;
    await nextTurn();
  }
}
