import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { releaseLease, renewLease } from "./scripts.js";

/** A lease in Redis (SET NX PX): at most one holder at a time, lost unless renewed within `ttlMs`. */
export interface Lease {
  /** True when this holder has the lease now. */
  acquire(): Promise<boolean>;
  /** False when the lease is no longer ours (it expired, someone took it, or Redis lost it). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export function redisLease(redis: Redis, key: string, ttlMs: number): Lease {
  const token = randomUUID();
  return {
    acquire: async () => (await redis.set(key, token, "PX", ttlMs, "NX")) === "OK",
    renew: async () => (await renewLease(redis, [key, token, ttlMs])) === 1,
    release: async () => {
      await releaseLease(redis, [key, token]);
    },
  };
}
