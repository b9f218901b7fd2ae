import { setTimeout as sleep } from "node:timers/promises";
import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import type { ReducerTable } from "../projection.js";
import type { ReadModel } from "../readModel.js";
import { createAppendSignal } from "./appendSignal.js";
import { connectRedis, whenReady } from "./connection.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "./keys.js";
import { startLeasedProjection, type LeasedProjection } from "./leasedProjection.js";
import { watchCheckpoint, type ProjectionProgress } from "./progress.js";
import { createRedisReadModel, type DocumentCipher } from "./redisReadModel.js";
import { readVersion } from "./scripts.js";

export interface RedisReadSideOptions {
  readonly url: string;
  readonly store: EventStore;
  /**
   * False when the store's subscriptions see only this process's appends (the embedded SQLite
   * log shared by several processes): appends are then announced through Redis.
   */
  readonly subscriptionsSeeAllAppends: boolean;
  readonly reducers: ReducerTable;
  /** Whether this process competes for the projection lease (an API instance may leave it to `npm run projector`). */
  readonly runProjector: boolean;
  readonly leaseMs: number;
  /** With the shared SQLite log: how often the projector reads the log when no append was announced. */
  readonly sharedLogPollMs?: number;
  readonly logger: Logger;
  readonly keyPrefix?: string;
  /** A rebuild into a new generation finished (the metrics). */
  readonly onRebuilt?: () => void;
  /** How personal fields are kept in Redis (src/privacy/readModelCipher.ts). */
  readonly cipher?: DocumentCipher;
}

export interface RedisReadSide {
  /** The store commands append through (announcing their appends when that is needed). */
  readonly store: EventStore;
  /** The store to follow the log with: its subscriptions see every process's appends. */
  readonly follower: EventStore;
  /** What queries read: the active generation. */
  readonly readModel: ReadModel;
  /** Waits on the checkpoint in Redis, whichever instance projects. */
  readonly progress: ProjectionProgress;
  /**
   * The active generation and its checkpoint, read together: what readers see changes with either,
   * so it tags what was read (src/auth/principalCache.ts). Undefined when Redis cannot say.
   */
  readVersion(): Promise<string | undefined>;
  readonly projection: LeasedProjection | undefined;
  close(): Promise<void>;
}

/** The read side of a deployment of any number of instances sharing one Redis. */
export async function startRedisReadSide(options: RedisReadSideOptions): Promise<RedisReadSide> {
  const { url, logger } = options;
  const keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const redis = connectRedis(url);
  const subscriber = connectRedis(url, { subscriber: true });
  if (!(await whenReady(redis, 5000))) logger.warn("Redis is not reachable yet: requests answer 503 UNAVAILABLE until it is");

  const signal = options.subscriptionsSeeAllAppends
    ? undefined
    : createAppendSignal({ redis, subscriber, channel: keys.appendedChannel, ...(options.sharedLogPollMs ? { pollMs: options.sharedLogPollMs } : {}) });
  // An announcement sent before the subscription is in place is lost (until the next poll), so
  // start projecting only once it is, or after a short wait when Redis is slow to answer.
  if (signal) await Promise.race([signal.subscribed, sleep(2000, undefined, { ref: false })]);
  const cipher = options.cipher ? { cipher: options.cipher } : {};
  const readModel = createRedisReadModel({ redis, keys, ...cipher });
  const progress = watchCheckpoint({ subscriber, channel: keys.committedChannel, checkpoint: () => readModel.checkpoint() });
  const projection = options.runProjector
    ? startLeasedProjection({
        store: signal ? signal.following(options.store) : options.store,
        redis,
        keys,
        reducers: options.reducers,
        leaseMs: options.leaseMs,
        logger,
        ...(options.onRebuilt ? { onRebuilt: options.onRebuilt } : {}),
        ...cipher,
      })
    : undefined;

  return {
    store: signal ? signal.announcing(options.store) : options.store,
    follower: signal ? signal.following(options.store) : options.store,
    readModel,
    progress,
    projection,
    readVersion: async () => ((await readVersion(redis, [keys.base, ""]).catch(() => null)) as string | null) ?? undefined,
    async close() {
      await projection?.stop();
      await progress.close();
      signal?.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
