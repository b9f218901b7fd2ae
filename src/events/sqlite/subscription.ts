import type { RecordedEvent } from "../envelope.js";
import type { Subscription } from "../eventStore.js";

// Catch-up and live are one loop: read the next page after the last event seen; when there is
// none, sleep until the next commit. The empty read and taking the commit promise happen in one
// synchronous step, and commits are synchronous too, so no commit can fall between them.
export function createSubscription(
  readPage: (after: bigint) => RecordedEvent[],
  nextCommit: () => Promise<void>,
  from: bigint,
  onClose: () => void,
): Subscription {
  let closed = false;
  let wake = () => {};

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let after = from;
    while (!closed) {
      const page = readPage(after);
      if (page.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          void nextCommit().then(resolve);
        });
        continue;
      }
      for (const event of page) {
        if (closed) return;
        yield event;
        after = event.position;
      }
    }
  }

  const events = follow();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      closed = true;
      onClose();
      wake();
      await events.return(undefined);
    },
  };
}
