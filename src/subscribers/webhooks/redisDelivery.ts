import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { translated } from "../../projections/redis/connection.js";
import { releaseLease, renewLease } from "../../projections/redis/scripts.js";
import type { DeadLetter, DeliveryState } from "./deliveryState.js";

/** The default key prefix; its `wh1` is the version of this key layout. */
export const WEBHOOK_KEY_PREFIX = "idledger:wh1";

/** Who delivers to one target: a lease in Redis (SET NX PX), its token naming the holder. */
export interface TargetLease {
  /** `<host>:<pid>:<uuid>`: an operator reading the key sees which process delivers. */
  readonly token: string;
  acquire(): Promise<boolean>;
  /** False when the lease is no longer ours. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

// KEYS: lease, checkpoints; ARGV: holder, target, position. Writes only while `holder` holds the lease.
const fencedCheckpoint = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

// KEYS: lease, checkpoints, letters, letter ids; ARGV: holder, target, position, the letter's JSON without its id.
const fencedDeadLetter = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local id = redis.call('INCR', KEYS[4])
local letter = cjson.decode(ARGV[4])
letter['id'] = id
redis.call('HSET', KEYS[3], id, cjson.encode(letter))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

interface StoredLetter extends Omit<DeadLetter, "position"> {
  readonly position: string;
}

/**
 * Webhook delivery shared by every instance on one Redis: per target a lease (one deliverer at a
 * time) and the delivery state, whose writes are fenced by that lease, so an instance that lost
 * it (paused, cut off) cannot move a checkpoint its successor already moved.
 */
export function redisDelivery(redis: Redis, leaseMs: number, prefix = WEBHOOK_KEY_PREFIX) {
  const keys = {
    lease: (targetId: string) => `${prefix}:lease:${targetId}`,
    checkpoints: `${prefix}:cp`,
    letters: `${prefix}:dl`,
    letterIds: `${prefix}:dl:id`,
  };
  const toDeadLetter = (json: string): DeadLetter => {
    const stored = JSON.parse(json) as StoredLetter;
    return { ...stored, position: BigInt(stored.position) };
  };

  // Redis out of reach is the catalogue's `unavailable` (503) for the API, and a retry for a worker.
  const state: DeliveryState = {
    async checkpoint(targetId) {
      const position = await translated(() => redis.hget(keys.checkpoints, targetId));
      return position === null ? undefined : BigInt(position);
    },
    async saveCheckpoint(targetId, position, holder = "") {
      return (await translated(() => redis.eval(fencedCheckpoint, 2, keys.lease(targetId), keys.checkpoints, holder, targetId, position.toString()))) === 1;
    },
    async deadLetter(letter, holder = "") {
      const json = JSON.stringify({ ...letter, position: letter.position.toString() });
      const written = await translated(() =>
        redis.eval(fencedDeadLetter, 4, keys.lease(letter.targetId), keys.checkpoints, keys.letters, keys.letterIds, holder, letter.targetId, letter.position.toString(), json),
      );
      return written === 1;
    },
    async deadLetters({ afterId, limit }) {
      // Only the ids are read whole; the letters of one page are fetched.
      const ids = (await translated(() => redis.hkeys(keys.letters))).map(Number).filter((id) => id > afterId).sort((a, b) => a - b).slice(0, limit);
      if (ids.length === 0) return [];
      const letters = await translated(() => redis.hmget(keys.letters, ...ids.map(String)));
      return letters.filter((json): json is string => json !== null).map(toDeadLetter);
    },
    async deadLetterById(id) {
      const json = await translated(() => redis.hget(keys.letters, String(id)));
      return json === null ? undefined : toDeadLetter(json);
    },
    async removeDeadLetter(id) {
      await translated(() => redis.hdel(keys.letters, String(id)));
    },
    async failedAgain(id, error, at) {
      const letter = await state.deadLetterById(id);
      if (!letter) return;
      const again = { ...letter, position: letter.position.toString(), attempts: letter.attempts + 1, lastError: error, failedAt: at };
      await translated(() => redis.hset(keys.letters, String(id), JSON.stringify(again)));
    },
    async close() {},
  };

  return {
    state,
    lease(targetId: string): TargetLease {
      const key = keys.lease(targetId);
      const token = `${hostname()}:${process.pid}:${randomUUID()}`;
      return {
        token,
        acquire: async () => (await redis.set(key, token, "PX", leaseMs, "NX")) === "OK",
        renew: async () => (await renewLease(redis, [key, token, leaseMs])) === 1,
        release: async () => void (await releaseLease(redis, [key, token])),
      };
    },
  };
}

export type RedisDelivery = ReturnType<typeof redisDelivery>;
