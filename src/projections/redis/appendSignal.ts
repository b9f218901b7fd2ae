import type { Redis } from "ioredis";
import type { RecordedEvent } from "../../events/envelope.js";
import type { EventStore, Subscription } from "../../events/eventStore.js";
import { subscribeWhenReady } from "./subscribe.js";

export interface AppendSignal {
  /** The store, announcing each append on the channel once it is acknowledged. */
  announcing(store: EventStore): EventStore;
  /**
   * The store, with subscriptions that read the log again whenever an append is announced (by any
   * process), or every `pollMs` when none is: they see appends made by every process.
   */
  following(store: EventStore): EventStore;
  /** Settles once the channel subscription is in place (or failed: the poll then covers). */
  readonly subscribed: Promise<void>;
  close(): void;
}

const pageSize = 500;

/**
 * Several processes sharing one SQLite log (each API instance appends) while only the lease
 * holder projects: the embedded store's subscriptions wake on this process's commits only, so
 * every instance announces its appends on a Redis channel and the projector follows the log by
 * reading it when told there is more. The slow poll covers announcements lost while Redis was away.
 */
export function createAppendSignal({
  redis,
  subscriber,
  channel,
  pollMs = 1000,
}: {
  readonly redis: Redis;
  readonly subscriber: Redis;
  readonly channel: string;
  readonly pollMs?: number;
}): AppendSignal {
  let wake = () => {};
  let next = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const wakeWaiters = wake;
    next = new Promise<void>((resolve) => (wake = resolve));
    wakeWaiters();
  };
  const onMessage = (from: string) => from === channel && notify();
  subscriber.on("message", onMessage);
  const subscribed = subscribeWhenReady(subscriber, channel).catch(() => {});

  return {
    subscribed,
    announcing: (store) => ({
      ...store,
      async append(stream, events, options) {
        const result = await store.append(stream, events, options);
        notify();
        const head = result.events.at(-1)?.position;
        // The append stands whether or not the announcement goes out; the poll catches up.
        if (head !== undefined) redis.publish(channel, head.toString()).catch(() => {});
        return result;
      },
    }),
    following: (store) => ({
      ...store,
      subscribe: ({ from = 0n, filter } = {}) => followLog(store, () => next, pollMs, from, filter),
    }),
    close() {
      subscriber.off("message", onMessage);
      subscriber.unsubscribe(channel).catch(() => {});
      wake();
    },
  };
}

function followLog(store: EventStore, nextAppend: () => Promise<void>, pollMs: number, from: bigint, filter?: (event: RecordedEvent) => boolean): Subscription {
  const closing = new AbortController();

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let after = from;
    while (!closing.signal.aborted) {
      // Taken before reading, so that an append landing during the read still wakes the next wait.
      const appended = nextAppend();
      let read = 0;
      for await (const event of store.readAll({ from: after, maxCount: pageSize })) {
        if (closing.signal.aborted) return;
        after = event.position;
        read++;
        if (!filter || filter(event)) yield event;
      }
      if (read > 0) continue;
      await appendOrPoll(appended, pollMs, closing.signal);
    }
  }

  const events = follow();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      closing.abort();
      await events.return(undefined);
    },
  };
}

/**
 * Settles on the next announced append, after `pollMs`, or when `closing` aborts, whichever is
 * first, and leaves nothing behind: a wait that an append ends clears its timer and its abort
 * listener (a sleep left running in a race kept both for up to `pollMs`, one per append).
 */
function appendOrPoll(appended: Promise<void>, pollMs: number, closing: AbortSignal): Promise<void> {
  if (closing.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      closing.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    timer.unref();
    closing.addEventListener("abort", done);
    appended.then(done, done);
  });
}
