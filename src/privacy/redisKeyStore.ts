import type { Redis } from "ioredis";
import { translated } from "../projections/redis/connection.js";
import type { InstanceSecret, KeyStore, SubjectKeyEntry } from "./keyStore.js";

/** Outside the read model's generations: a rebuild must never touch the keys. A deployment's own prefix adds its master key's fingerprint. */
export const REDIS_KEY_STORE_PREFIX = "idledger:keys1";

// One hash field per subject: `a:<wrapped>` active, `e:<wrapped>` erasing, `x` erased.
const transition = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and string.sub(current, 1, 2) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. string.sub(current, 3))
end
return 1`;

// KEYS: subjects, secret, next. Only while the secret is the caller's and no rotation runs.
const fencedCreate = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] or redis.call('EXISTS', KEYS[3]) == 1 then return false end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])`;

// KEYS: secret, next.
const beginRotation = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local next = redis.call('GET', KEYS[2])
if next and next ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

const finishRotation = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1`;

// ARGV: subject, from, to, subject, from, to...; the state prefix stays.
const rewrap = `
local applied = 0
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current and string.sub(current, 3) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], string.sub(current, 1, 2) .. ARGV[i + 2])
    applied = applied + 1
  end
end
return applied`;

/**
 * The shared key store for deployments of several instances: a Redis hash next to the read model.
 * An erasure is one HSET that overwrites the key; copies Redis wrote before it (RDB snapshots, an
 * AOF not yet rewritten) still hold the wrapped key until they are replaced (docs/privacy.md).
 */
export function createRedisKeyStore(redis: Redis, prefix: string): KeyStore {
  const subjects = `${prefix}:subjects`;
  const secret = `${prefix}:instance-secret`;
  const next = `${prefix}:instance-secret-next`;
  const standingSecret = async (): Promise<InstanceSecret | undefined> => {
    const [wrapped, upcoming] = await translated(() => redis.mget(secret, next));
    if (wrapped === null || wrapped === undefined) return undefined;
    return upcoming ? { wrapped, next: upcoming } : { wrapped };
  };
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
    async create(subject, wrapped, fence) {
      return entry((await translated(() => redis.eval(fencedCreate, 3, subjects, secret, next, subject, `a:${wrapped}`, fence))) as string | null);
    },
    async markErasing(subject) {
      await translated(() => redis.eval(transition, 1, subjects, subject, "a:", "e:"));
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
    instanceSecret: standingSecret,
    async createInstanceSecret(wrapped) {
      await translated(() => redis.set(secret, wrapped, "NX"));
      return (await standingSecret())!;
    },
    async beginRotation(current, upcoming) {
      return (await translated(() => redis.eval(beginRotation, 2, secret, next, current, upcoming))) === 1;
    },
    async *entries() {
      let cursor = "0";
      do {
        const [after, fields] = await translated(() => redis.hscan(subjects, cursor, "COUNT", 1000));
        for (let i = 0; i + 1 < fields.length; i += 2) yield [fields[i]!, entry(fields[i + 1]!)!] as const;
        cursor = after;
      } while (cursor !== "0");
    },
    async rewrap(changes) {
      if (changes.length === 0) return 0;
      const args = changes.flatMap(({ subject, from, to }) => [subject, from, to]);
      return (await translated(() => redis.eval(rewrap, 1, subjects, ...args))) as number;
    },
    async finishRotation(upcoming) {
      return (await translated(() => redis.eval(finishRotation, 2, secret, next, upcoming))) === 1;
    },
    async close() {},
  };
}
