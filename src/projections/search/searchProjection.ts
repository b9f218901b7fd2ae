import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import { startProjector, type Projector } from "../projector.js";
import { createMemoryUserIndex } from "./memoryUserIndex.js";
import { searchReducers } from "./searchReducers.js";
import type { UserSearchIndex } from "./userSearch.js";

export interface UserSearchProjection {
  readonly index: UserSearchIndex;
  /** Resolves true once the index reflects `position`, false after `timeoutMs`. */
  readonly waitFor: Projector["waitFor"];
  readonly position: Projector["position"];
  stop(): Promise<void>;
}

/**
 * This process's user search index, projected from the whole log at start and then following it
 * live, like the in-process read model. `store` must see every process's appends (with Redis:
 * the read side's follower): an index fed from the log on each instance is what lets ListUsers
 * wait for the log's head on any instance, and keeps personal values out of shared stores.
 * A decrypting store (crypto-shredding) can be passed as it is.
 */
export function startUserSearch({ store, logger }: { readonly store: EventStore; readonly logger: Logger }): UserSearchProjection {
  const index = createMemoryUserIndex();
  const projector = startProjector({
    store,
    readModel: index.store,
    reducers: searchReducers,
    batchSize: 5000,
    onError: (error) => logger.error("user search projection failed", { error: String(error) }),
    // The read-model projection parks (and logs) the same events; the index only skips them.
    onParked: () => {},
  });
  return {
    index,
    waitFor: projector.waitFor,
    position: projector.position,
    async stop() {
      await projector.stop();
      await index.store.close();
    },
  };
}
