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
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

// Pages through the log so that reading a huge one never holds more than a page in memory, and
// lets the event loop take a turn between pages: reads are synchronous, and without the turn a
// long scan would keep every other request (and /debug/healthz) waiting until it ends. An
// iterator by hand rather than an async generator: a replay takes every event of the log through
// it, and a generator's machinery per event (its queue, an await of every value it yields) is some
// 0.2 us of the main thread's time per event more. Like every reader of the log here (for await,
// the replay's chunks), it is asked for one event at a time: a call before the last has settled
// is not queued as a generator would queue it.
export function readAll(pages: Pages, pageSize: number, { from, maxCount = Infinity, direction = "forwards" }: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
  const backwards = direction === "backwards";
  return {
    [Symbol.asyncIterator]() {
      let cursor = from ?? (backwards ? END : 0n);
      let left = maxCount;
      let page: readonly RecordedEvent[] = [];
      let at = 0;
      let firstPage = true;
      // The last page read was the last there is, or the read was left.
      let ended = left <= 0;
      const fromNextPage = (): Promise<IteratorResult<RecordedEvent>> => {
        if (ended) return Promise.resolve(DONE);
        try {
          const limit = Math.min(pageSize, left);
          page = backwards ? pages.before(cursor, limit) : pages.after(cursor, limit);
          at = 0;
          left -= page.length;
          ended = page.length < limit || left <= 0;
          cursor = page.at(-1)?.position ?? cursor;
        } catch (error) {
          ended = true;
          return Promise.reject(error);
        }
        return next();
      };
      const next = (): Promise<IteratorResult<RecordedEvent>> => {
        if (at < page.length) return Promise.resolve({ done: false, value: page[at++]! });
        if (ended) return Promise.resolve(DONE);
        // The first page at once, every later one after a turn of the event loop.
        if (!firstPage) return nextTurn().then(fromNextPage);
        firstPage = false;
        return fromNextPage();
      };
      return {
        next,
        async return() {
          page = [];
          ended = true;
          return DONE;
        },
      };
    },
  };
}
