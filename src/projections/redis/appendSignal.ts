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
  const appends = announcedAppends();
  const notify = appends.notify;
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
      subscribe: ({ from = 0n, filter } = {}) => followLog(store, appends, pollMs, from, filter),
    }),
    close() {
      subscriber.off("message", onMessage);
      subscriber.unsubscribe(channel).catch(() => {});
      notify();
    },
  };
}

/** The appends announced to this process, counted, and waited for by the followers of the log. */
interface AnnouncedAppends {
  /** How many appends were announced so far. */
  count(): number;
  notify(): void;
  /**
   * Settles once more than `seen` appends were announced, after `pollMs`, or when `closing`
   * aborts, whichever is first; a wait leaves nothing behind once settled (its timer, its abort
   * listener and its place among the waiters all go), however long the log stays quiet.
   */
  wait(seen: number, pollMs: number, closing: AbortSignal): Promise<void>;
}

function announcedAppends(): AnnouncedAppends {
  let count = 0;
  const waiters = new Set<() => void>();
  return {
    count: () => count,
    notify() {
      count++;
      for (const waiter of [...waiters]) waiter();
    },
    wait(seen, pollMs, closing) {
      if (count > seen || closing.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          closing.removeEventListener("abort", done);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        timer.unref();
        closing.addEventListener("abort", done);
        waiters.add(done);
      });
    },
  };
}

function followLog(store: EventStore, appends: AnnouncedAppends, pollMs: number, from: bigint, filter?: (event: RecordedEvent) => boolean): Subscription {
  const closing = new AbortController();

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let after = from;
    while (!closing.signal.aborted) {
      // Counted before reading, so that an append landing during the read still ends the next wait at once.
      const seen = appends.count();
      let read = 0;
      for await (const event of store.readAll({ from: after, maxCount: pageSize })) {
        if (closing.signal.aborted) return;
        after = event.position;
        read++;
        if (!filter || filter(event)) yield event;
      }
      if (read > 0) continue;
      await appends.wait(seen, pollMs, closing.signal);
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
