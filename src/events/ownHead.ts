import type { EventStore } from "./eventStore.js";

export interface OwnHead {
  /** The store, noting the position of every append it acknowledges. */
  readonly store: EventStore;
  /** The log's head as far as this process has appended to it. */
  readonly position: () => bigint;
}

/**
 * The log's head without asking the log, for a process that is the log's only writer (the
 * embedded SQLite file with the in-process read model): every append that was acknowledged before
 * a request arrived went through `store`, so read-your-writes can wait for this counter instead of
 * querying the head on every request. Starts at the head the log has when it is opened.
 */
export async function ownHead(store: EventStore): Promise<OwnHead> {
  let head = await store.headPosition();
  return {
    store: {
      ...store,
      async append(stream, events, options) {
        const result = await store.append(stream, events, options);
        const last = result.events.at(-1)?.position;
        if (last !== undefined && last > head) head = last;
        return result;
      },
    },
    position: () => head,
  };
}
