import type { Redis } from "ioredis";
import type { RedisKeys } from "./keys.js";
import { switchGeneration } from "./scripts.js";

/** Asks whichever instance holds the projection lease to rebuild into a new generation. */
export async function requestRebuild(redis: Redis, keys: RedisKeys): Promise<void> {
  await redis.set(keys.rebuildRequest, new Date().toISOString());
}

/** Takes a pending rebuild request, if there is one. */
export async function takeRebuildRequest(redis: Redis, keys: RedisKeys): Promise<boolean> {
  return (await redis.del(keys.rebuildRequest)) === 1;
}

/** The read model shape (src/projections/views.ts) a generation was built for; undefined for one built before shapes were recorded. */
export const generationShape = async (redis: Redis, keys: RedisKeys, generation: string): Promise<string | undefined> =>
  (await redis.get(`${keys.generation(generation)}shape`)) ?? undefined;

export async function recordShape(redis: Redis, keys: RedisKeys, generation: string, shape: string): Promise<void> {
  await redis.set(`${keys.generation(generation)}shape`, shape);
}

export const activeGeneration = async (redis: Redis, keys: RedisKeys): Promise<string | undefined> =>
  (await redis.get(keys.active)) ?? undefined;

/**
 * Points readers at `generation` if `expected` ('' = none) is still the active one and the new one
 * has caught up with it. False when it has not (yet).
 */
export async function switchTo(redis: Redis, keys: RedisKeys, expected: string, generation: string): Promise<boolean> {
  return (await switchGeneration(redis, [keys.base, expected, generation])) === 1;
}

/** Deletes a generation's keys, a page at a time, without blocking the server (UNLINK). */
export async function deleteGeneration(redis: Redis, keys: RedisKeys, generation: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${keys.generation(generation)}*`, "COUNT", 1000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== "0");
}
