import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import type { ReducerTable } from "../projection.js";
import { parkedEventLog, startProjector, type Projector } from "../projector.js";
import { readModelShape } from "../views.js";
import { activeGeneration, deleteGeneration, generationShape, recordShape, switchTo, takeRebuildRequest } from "./generations.js";
import { newGeneration, type RedisKeys } from "./keys.js";
import { redisLease } from "./lease.js";
import { createRedisReadModel, type DocumentCipher } from "./redisReadModel.js";

export interface LeasedProjectionOptions {
  /** The log as the projector follows it: its subscriptions must see every process's appends. */
  readonly store: EventStore;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly reducers: ReducerTable;
  /** A holder that stops renewing is replaced after about this long. */
  readonly leaseMs: number;
  readonly logger: Logger;
  /** A rebuild into a new generation finished (the metrics). */
  readonly onRebuilt?: () => void;
  /** How personal fields are kept in the documents it writes. */
  readonly cipher?: DocumentCipher;
}

export interface LeasedProjection {
  /** True while this instance holds the lease and projects. */
  leading(): boolean;
  stop(): Promise<void>;
}

interface Running {
  readonly generation: string;
  readonly projector: Projector;
}

/**
 * Runs the projection in whichever instance holds the lease, any number of instances competing
 * for it. The holder continues the active generation from its checkpoint; when there is none
 * (first start, or Redis lost its data) or a rebuild is requested, it projects the whole log into
 * a new generation, switches readers over once that one has caught up, and deletes the old one.
 */
export function startLeasedProjection({ store, redis, keys, reducers, leaseMs, logger, onRebuilt, cipher }: LeasedProjectionOptions): LeasedProjection {
  const lease = redisLease(redis, keys.lease, leaseMs);
  const tickMs = Math.max(20, Math.floor(leaseMs / 3));
  const stopping = new AbortController();
  const pause = (ms: number, signal = stopping.signal) => sleep(ms, undefined, { signal }).catch(() => {});
  const onError = (error: unknown) => logger.error("projection failed", { error: describe(error) });
  const onParked = parkedEventLog(logger);
  let leader = false;

  const startOn = (generation: string): Running => ({
    generation,
    projector: startProjector({ store, readModel: createRedisReadModel({ redis, keys, generation, ...(cipher ? { cipher } : {}) }), reducers, onError, onParked }),
  });

  // Renews in the background; `held()` turns false for good once the lease is lost or leading ends.
  function keepLease(until: AbortSignal) {
    let lost = false;
    let renewedAt = Date.now();
    const done = (async () => {
      while (!lost && !until.aborted) {
        await pause(tickMs, until);
        if (until.aborted) return;
        try {
          if (await lease.renew()) renewedAt = Date.now();
          else lost = true;
        } catch {
          lost = Date.now() - renewedAt >= leaseMs;
        }
      }
    })();
    return { held: () => !lost && !until.aborted, done };
  }

  // Projects the log from 0 into a new generation, then points readers at it in place of `replaced`.
  async function build(replaced: string, held: () => boolean): Promise<Running> {
    const started = performance.now();
    const generation = newGeneration();
    // Position 0 is a checkpoint too: an empty log still makes a generation readers can switch to.
    await createRedisReadModel({ redis, keys, generation }).commit([], 0n);
    await recordShape(redis, keys, generation, readModelShape);
    const next = startOn(generation);
    const head = await store.headPosition();
    try {
      while (!(await next.projector.waitFor(head, tickMs))) if (!held()) throw new Error("projection lease lost during a rebuild");
      while (!(await switchTo(redis, keys, replaced, generation))) {
        if (!held()) throw new Error("projection lease lost during a rebuild");
        if (((await activeGeneration(redis, keys)) ?? "") !== replaced) throw new Error("the active generation changed during a rebuild");
        await pause(10);
      }
    } catch (error) {
      await next.projector.stop();
      await deleteGeneration(redis, keys, generation).catch(onError);
      throw error;
    }
    logger.info("read model rebuilt", { generation, position: head.toString(), ms: Math.round(performance.now() - started) });
    onRebuilt?.();
    return next;
  }

  async function retire(old: Running): Promise<void> {
    await old.projector.stop();
    await deleteGeneration(redis, keys, old.generation).catch(onError);
  }

  async function openActive(held: () => boolean): Promise<Running> {
    const active = await activeGeneration(redis, keys);
    const checkpoint = active && (await createRedisReadModel({ redis, keys, generation: active }).checkpoint());
    const shape = active && (await generationShape(redis, keys, active));
    if (active && checkpoint !== undefined && shape === readModelShape) return startOn(active);
    if (checkpoint === undefined) logger.warn("no read model in Redis: projecting the whole log", { replaced: active ?? null });
    else logger.warn("the read model in Redis has another shape (an upgrade changed its collections): projecting the whole log", { replaced: active });
    const built = await build(active ?? "", held);
    if (active) await deleteGeneration(redis, keys, active).catch(onError);
    return built;
  }

  async function lead(): Promise<void> {
    const leading = new AbortController();
    const kept = keepLease(AbortSignal.any([stopping.signal, leading.signal]));
    leader = true;
    logger.info("projection lease taken");
    let current: Running | undefined;
    try {
      current = await openActive(kept.held);
      while (kept.held()) {
        await pause(tickMs);
        if (!kept.held()) break;
        try {
          if ((await activeGeneration(redis, keys)) !== current.generation) {
            logger.warn("the active read model generation is gone (Redis lost its data?): starting over");
            break;
          }
          if (await takeRebuildRequest(redis, keys)) {
            const old = current;
            current = await build(old.generation, kept.held);
            await retire(old);
          }
        } catch (error) {
          onError(error);
        }
      }
    } finally {
      leader = false;
      leading.abort();
      await current?.projector.stop();
      await kept.done;
      await lease.release().catch(() => {});
      logger.info("projection lease given up");
    }
  }

  const done = (async () => {
    while (!stopping.signal.aborted) {
      try {
        if (await lease.acquire()) await lead();
      } catch (error) {
        onError(error);
      }
      await pause(tickMs);
    }
  })();

  return {
    leading: () => leader,
    async stop() {
      stopping.abort();
      await done;
    },
  };
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
