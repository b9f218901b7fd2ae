import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { DomainError } from "../../src/errors.js";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { activeGeneration, deleteGeneration, switchTo } from "../../src/projections/redis/generations.js";
import { redisKeys } from "../../src/projections/redis/keys.js";
import { CheckpointMoved, createRedisReadModel } from "../../src/projections/redis/redisReadModel.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redisServer.js";
import { testReadModel } from "./readModel.js";

const skipReason = redisSkipReason();
const server = skipReason ? undefined : await startRedisServer();
const redis = server && connectRedis(server.url);
if (redis) await whenReady(redis, 5000);
after(async () => {
  redis?.disconnect();
  await server?.stop();
});

const freshKeys = () => redisKeys(`test:${randomUUID()}`);

// What queries read: the active generation, created by the first commit.
testReadModel("redis, active generation", async () => redis && createRedisReadModel({ redis, keys: freshKeys() }), { skipReason });
// What a projector writes: one named generation.
testReadModel("redis, one generation", async () => redis && createRedisReadModel({ redis, keys: freshKeys(), generation: "g1" }), {
  skipReason,
});

describe("redis read model", { skip: skipReason }, () => {
  if (skipReason) console.warn(`SKIP redis read model: ${skipReason}`);
  const put = (id: string, doc: Record<string, unknown>) => ({ op: "put" as const, collection: "users1", id, doc, indexes: { org: "o1" } });

  it("keeps every key under its prefix", async () => {
    const keys = freshKeys();
    const ownDatabase = connectRedis(`${server!.url}/3`);
    await whenReady(ownDatabase, 5000);
    try {
      const readModel = createRedisReadModel({ redis: ownDatabase, keys });
      await readModel.commit([put("1", { n: 1 })], 1n);
      await readModel.commit([put("1", { n: 2 }), put("2", { n: 1 })], 2n);

      const stored = await ownDatabase.keys("*");
      assert.ok(stored.length >= 5, stored.join(", "));
      assert.deepEqual(stored.filter((key) => !key.startsWith(`${keys.base}:`)), []);
    } finally {
      ownDatabase.disconnect();
    }
  });

  it("a writer whose checkpoint moved under it applies nothing", async () => {
    const keys = freshKeys();
    const first = createRedisReadModel({ redis: redis!, keys, generation: "g" });
    const second = createRedisReadModel({ redis: redis!, keys, generation: "g" });
    await first.commit([put("1", { by: "first" })], 1n);
    assert.equal(await second.checkpoint(), 1n);
    await first.commit([put("2", { by: "first" })], 2n);

    await assert.rejects(second.commit([put("1", { by: "second" }), put("3", { by: "second" })], 2n), CheckpointMoved);
    assert.deepEqual(await second.get("users1", "1"), { by: "first" });
    assert.equal(await second.get("users1", "3"), undefined);
    assert.equal(await second.checkpoint(), 2n);
    // having read the checkpoint again, it may go on from there
    await second.commit([put("3", { by: "second" })], 3n);
    assert.deepEqual(await first.find("users1", "org", "o1"), ["1", "2", "3"]);
  });

  it("readers switch to a rebuilt generation only once it has caught up, atomically", async () => {
    const keys = freshKeys();
    const reader = createRedisReadModel({ redis: redis!, keys });
    const old = createRedisReadModel({ redis: redis!, keys, generation: "old" });
    const rebuilt = createRedisReadModel({ redis: redis!, keys, generation: "new" });
    await old.commit([put("1", { from: "old" })], 5n);
    assert.equal(await switchTo(redis!, keys, "", "old"), true);
    await rebuilt.commit([put("1", { from: "new" })], 4n);

    assert.equal(await switchTo(redis!, keys, "old", "new"), false, "behind the active generation");
    assert.deepEqual(await reader.get("users1", "1"), { from: "old" });
    await rebuilt.commit([], 5n);
    assert.equal(await switchTo(redis!, keys, "somebody-else", "new"), false, "the active generation is not the one replaced");
    assert.equal(await switchTo(redis!, keys, "old", "new"), true);
    assert.deepEqual(await reader.get("users1", "1"), { from: "new" });
    assert.equal(await activeGeneration(redis!, keys), "new");

    await deleteGeneration(redis!, keys, "old");
    assert.deepEqual(await redis!.keys(`${keys.generation("old")}*`), []);
    assert.deepEqual(await reader.find("users1", "org", "o1"), ["1"]);
  });

  it("a FLUSHALL leaves no checkpoint, so the projector knows to rebuild", async () => {
    const keys = freshKeys();
    const readModel = createRedisReadModel({ redis: redis!, keys });
    await readModel.commit([put("1", { n: 1 })], 3n);
    await redis!.flushall();

    assert.equal(await readModel.checkpoint(), undefined);
    assert.equal(await readModel.get("users1", "1"), undefined);
  });
});

describe("redis read model, server killed", { skip: skipReason }, () => {
  let own: RedisServer;
  let connection: Redis;
  before(async () => {
    own = await startRedisServer();
    connection = connectRedis(own.url);
    await whenReady(connection, 5000);
  });
  after(async () => {
    connection.disconnect();
    await own.stop();
  });

  it("fails fast with UNAVAILABLE while Redis is down, and recovers by itself", async () => {
    const readModel = createRedisReadModel({ redis: connection, keys: freshKeys() });
    await readModel.commit([], 1n);
    await own.kill();

    const started = Date.now();
    for (const call of [() => readModel.get("users1", "1"), () => readModel.checkpoint(), () => readModel.commit([], 2n)]) {
      await assert.rejects(call(), (error: unknown) => error instanceof DomainError && error.category === "Unavailable");
    }
    assert.ok(Date.now() - started < 1000, "calls must fail at once, not queue");

    await own.restart();
    assert.ok(await whenReady(connection, 5000), "the connection comes back by itself");
    assert.equal(await readModel.checkpoint(), undefined, "a restarted Redis without persistence is empty");
  });
});
