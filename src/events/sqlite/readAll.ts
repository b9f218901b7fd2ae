import type { RecordedEvent } from "../envelope.js";
import type { ReadAllOptions } from "../eventStore.js";

// Pages through the log so that reading a huge one never holds more than a page in memory.
export async function* readAll(
  readPage: (after: bigint, limit: number) => RecordedEvent[],
  pageSize: number,
  { from = 0n, maxCount = Infinity }: ReadAllOptions = {},
): AsyncGenerator<RecordedEvent> {
  let after = from;
  let left = maxCount;
  while (left > 0) {
    const limit = Math.min(pageSize, left);
    const page = readPage(after, limit);
    for (const event of page) {
      yield event;
      after = event.position;
    }
    if (page.length < limit) return;
    left -= page.length;
  }
}
