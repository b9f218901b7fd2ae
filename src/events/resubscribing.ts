import { setTimeout as sleep } from "node:timers/promises";
import type { RecordedEvent } from "./envelope.js";
import { EventStoreUnavailable } from "./errors.js";
import type { EventStore, SubscribeOptions, Subscription } from "./eventStore.js";

/**
 * A subscription that outlives outages: when the store ends it with EventStoreUnavailable (an
 * EventStoreDB restart or failover), it subscribes again right after the last event it handed
 * out, with a bounded backoff, until closed. Nothing is lost or repeated, since the consumer has
 * processed every event handed out before it asks for the next. Any other error ends it.
 */
export function resubscribing(
  store: EventStore,
  from: bigint,
  { maxBackoffMs = 5000, filter }: { maxBackoffMs?: number; filter?: SubscribeOptions["filter"] } = {},
): Subscription {
  const closing = new AbortController();
  let current: Subscription | undefined;

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let after = from;
    for (let failures = 0; !closing.signal.aborted; failures++) {
      current = store.subscribe({ from: after, ...(filter ? { filter } : {}) });
      try {
        for await (const event of current) {
          failures = 0;
          after = event.position;
          yield event;
        }
        return;
      } catch (error) {
        if (closing.signal.aborted) return;
        if (!(error instanceof EventStoreUnavailable)) throw error;
        await sleep(Math.min(maxBackoffMs, 100 * 2 ** failures), undefined, { signal: closing.signal }).catch(() => {});
      } finally {
        await current.close();
      }
    }
  }

  const events = follow();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      closing.abort();
      await current?.close();
      await events.return(undefined);
    },
  };
}
