import { setImmediate as nextTurn } from "node:timers/promises";
import type { RecordedEvent } from "../envelope.js";
import type { Subscription } from "../eventStore.js";
import type { Follower, LiveTail } from "./liveTail.js";

export interface SubscriptionOptions {
  readonly readPage: (after: bigint) => RecordedEvent[];
  readonly pageSize: number;
  readonly tail: LiveTail;
  readonly from: bigint;
  /** Only these are handed out; the others only move the subscription's position. */
  readonly filter?: (event: RecordedEvent) => boolean;
  /** Events a follower may hold for a consumer that has not taken them yet. */
  readonly queueLimit: number;
  readonly onClose: () => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

// Behind the log's head, a subscription reads its own pages (yielding to the event loop between
// full ones); a page short of full means it has reached the head, and in that same synchronous
// step it joins the live tail, which queues what later commits add. A consumer too slow for its
// queue is dropped by the tail and reads pages again from the last event queued, so nothing is
// lost or repeated at either seam and nothing grows without bound. The iterator is written out,
// not a generator: every commit passes through every open subscription, and a generator costs
// about twice as much per event.
export function createSubscription({ readPage, pageSize, tail, from, filter, queueLimit, onClose }: SubscriptionOptions): Subscription {
  let closed = false;
  let live = false;
  /** The last event read or queued. */
  let position = from;
  /** The page read while catching up (the events the filter kept), then the events the tail queued; each taken up to its index. */
  let page: RecordedEvent[] = [];
  /** Whether the last page read was full, so that more lie behind it. */
  let fullPage = false;
  let pageAt = 0;
  let queue: RecordedEvent[] = [];
  let queueAt = 0;
  let wake = () => {};
  /** The consumer's call that is waiting for an event, if any. */
  let waiting: Promise<IteratorResult<RecordedEvent>> | undefined;

  const follower: Follower = {
    deliver(events) {
      const unseen = events[0]!.position > position ? events : events.filter((event) => event.position > position);
      const last = unseen.at(-1);
      if (!last) return true;
      const wanted = filter ? unseen.filter(filter) : unseen;
      if (queue.length - queueAt + wanted.length > queueLimit) {
        live = false;
        wake();
        return false;
      }
      position = last.position;
      // Nothing it wants: the consumer is not woken at all.
      if (wanted.length === 0) return true;
      if (queueAt === queue.length) [queue, queueAt] = [[], 0];
      queue.push(...wanted);
      wake();
      return true;
    },
    dropped() {
      live = false;
      wake();
    },
  };

  const taken = (): IteratorResult<RecordedEvent> | undefined => {
    if (pageAt < page.length) return { done: false, value: page[pageAt++]! };
    if (queueAt < queue.length) return { done: false, value: queue[queueAt++]! };
    return undefined;
  };

  async function nextAfterWaiting(): Promise<IteratorResult<RecordedEvent>> {
    for (;;) {
      if (closed) return DONE;
      const next = taken();
      if (next) return next;
      if (live) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (fullPage) await nextTurn();
      if (closed) return DONE;
      const read = readPage(position);
      position = read.at(-1)?.position ?? position;
      fullPage = read.length === pageSize;
      [page, pageAt] = [filter ? read.filter(filter) : read, 0];
      if (!fullPage) {
        live = true;
        tail.join(follower, position);
      }
    }
  }

  // A call that has to wait holds back the calls after it, so events come out in order however the consumer calls.
  const inTurn = (pending: Promise<IteratorResult<RecordedEvent>>) => {
    const done = () => {
      if (waiting === pending) waiting = undefined;
    };
    pending.then(done, done);
    return (waiting = pending);
  };

  const iterator: AsyncIterator<RecordedEvent> = {
    next() {
      if (waiting) return inTurn(waiting.then(nextAfterWaiting, nextAfterWaiting));
      if (closed) return Promise.resolve(DONE);
      const next = taken();
      return next ? Promise.resolve(next) : inTurn(nextAfterWaiting());
    },
    async return() {
      await close();
      return DONE;
    },
  };

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    tail.leave(follower);
    onClose();
    wake();
  }

  return { [Symbol.asyncIterator]: () => iterator, close };
}
