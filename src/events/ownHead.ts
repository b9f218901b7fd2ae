import type { EventStore } from "./eventStore.js";

export interface OwnHead {
  /** The store, noting the position of every append it acknowledges. */
  readonly store: EventStore;
  /** The log's head as far as this process knows it: its own appends, and others' up to the last poll. */
  readonly position: () => bigint;
  readonly stop: () => void;
}

/**
 * The log's head without asking the log on every request, for a process that makes nearly every
 * append (the embedded SQLite file with the in-process read model): every append of its own that
 * was acknowledged before a request arrived went through `store`, so read-your-writes can wait for
 * this counter instead of querying the head. Another process writing the file (the CLI) is seen
 * within `pollMs`: asking the SQLite adapter for the head also lets its subscriptions read on.
 */
export async function ownHead(store: EventStore, pollMs: number): Promise<OwnHead> {
  let head = await store.headPosition();
  const note = (position: bigint) => {
    if (position > head) head = position;
  };
  const poll = setInterval(() => void store.headPosition().then(note, () => {}), pollMs);
  poll.unref();
  return {
    store: {
      ...store,
      async append(stream, events, options) {
        const result = await store.append(stream, events, options);
        const last = result.events.at(-1)?.position;
        if (last !== undefined) note(last);
        return result;
      },
    },
    position: () => head,
    stop: () => clearInterval(poll),
  };
}
