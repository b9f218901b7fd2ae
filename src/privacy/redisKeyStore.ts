import type { Redis } from "ioredis";
import { translated } from "../projections/redis/connection.js";
import type { KeyStore, SubjectKeyEntry } from "./keyStore.js";

/** Outside the read model's generations: a rebuild must never touch the keys. A deployment's own prefix adds its master key's fingerprint. */
export const REDIS_KEY_STORE_PREFIX = "idledger:keys1";

// One hash field per subject: `a:<wrapped>` active, `e:<wrapped>` erasing, `x` erased.
const transition = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and string.sub(current, 1, 2) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. string.sub(current, 3))
end
return 1`;

/**
 * The shared key store for deployments of several instances: a Redis hash next to the read model.
 * An erasure is one HSET that overwrites the key; copies Redis wrote before it (RDB snapshots, an
 * AOF not yet rewritten) still hold the wrapped key until they are replaced (docs/privacy.md).
 */
export function createRedisKeyStore(redis: Redis, prefix: string): KeyStore {
  const subjects = `${prefix}:subjects`;
  const secret = `${prefix}:instance-secret`;
  const entry = (value: string | null): SubjectKeyEntry | undefined => {
    if (value === null) return undefined;
    if (value.startsWith("a:")) return { state: "active", wrapped: value.slice(2) };
    if (value.startsWith("e:")) return { state: "erasing", wrapped: value.slice(2) };
    return { state: "erased" };
  };
  return {
    async get(subject) {
      return entry(await translated(() => redis.hget(subjects, subject)));
    },
    async getMany(wanted) {
      if (wanted.length === 0) return new Map();
      const values = await translated(() => redis.hmget(subjects, ...wanted));
      return new Map(wanted.flatMap((subject, i) => {
        const found = entry(values[i] ?? null);
        return found ? [[subject, found] as const] : [];
      }));
    },
    async create(subject, wrapped) {
      await translated(() => redis.hsetnx(subjects, subject, `a:${wrapped}`));
      return entry(await translated(() => redis.hget(subjects, subject)))!;
    },
    async markErasing(subject) {
      await translated(() => redis.eval(transition, 1, subjects, subject, "a:", "e:"));
    },
    async unmarkErasing(subject) {
      await translated(() => redis.eval(transition, 1, subjects, subject, "e:", "a:"));
    },
    async erase(subject) {
      await translated(() => redis.hset(subjects, subject, "x"));
    },
    async erasing() {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, fields] = await translated(() => redis.hscan(subjects, cursor, "COUNT", 1000));
        for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i + 1]!.startsWith("e:")) found.push(fields[i]!);
        cursor = next;
      } while (cursor !== "0");
      return found;
    },
    async instanceSecret() {
      return (await translated(() => redis.get(secret))) ?? undefined;
    },
    async createInstanceSecret(wrapped) {
      await translated(() => redis.set(secret, wrapped, "NX"));
      return (await translated(() => redis.get(secret)))!;
    },
    async close() {},
  };
}
