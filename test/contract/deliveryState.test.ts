import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import type { DeliveryState } from "../../src/subscribers/webhooks/deliveryState.js";
import { redisDelivery } from "../../src/subscribers/webhooks/redisDelivery.js";
import { openSqliteDeliveryState } from "../../src/subscribers/webhooks/sqliteDeliveryState.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP webhook delivery state on Redis: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
const redis = server && connectRedis(server.url);
if (redis) await whenReady(redis, 5000);
const dir = await mkdtemp(join(tmpdir(), "idledger-delivery-state-"));
after(async () => {
  redis?.disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The delivery state, and the lease holder its fenced writes need (none for SQLite: one process delivers). */
type Adapter = () => Promise<{ state: DeliveryState; holder: (targetId: string) => Promise<string> }>;

function testDeliveryState(name: string, adapter: Adapter, options: { skip?: string } = {}) {
  describe(`delivery state: ${name}`, { skip: options.skip }, () => {
    it("lists dead letters oldest first, a page at a time after an id", async () => {
      const { state, holder } = await adapter();
      const token = await holder("t1");
      for (let i = 1; i <= 5; i++) {
        const letter = { targetId: "t1", position: BigInt(i), eventId: `e${i}`, eventType: "user.machine.added", attempts: 1, lastError: "HTTP 500", failedAt: "2026-01-01T00:00:00.000Z" };
        assert.equal(await state.deadLetter(letter, token), true);
      }
      const ids = (await state.deadLetters({ afterId: 0, limit: 1000 })).map((letter) => letter.id);
      assert.equal(ids.length, 5);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const page = await state.deadLetters({ afterId: 0, limit: 2 });
      assert.deepEqual(page.map((letter) => letter.eventId), ["e1", "e2"]);
      assert.deepEqual((await state.deadLetters({ afterId: ids[1]!, limit: 2 })).map((letter) => letter.eventId), ["e3", "e4"]);
      assert.deepEqual(await state.deadLetters({ afterId: ids[4]!, limit: 2 }), []);
      await state.close();
    });
  });
}

testDeliveryState("sqlite", async () => ({ state: openSqliteDeliveryState(join(dir, `${randomUUID()}.sqlite`)), holder: async () => "" }));
testDeliveryState(
  "redis",
  async () => {
    const delivery = redisDelivery(redis!, 60_000, `test:${randomUUID()}`);
    return {
      state: delivery.state,
      holder: async (targetId) => {
        const lease = delivery.lease(targetId);
        assert.equal(await lease.acquire(), true);
        return lease.token;
      },
    };
  },
  skipReason ? { skip: skipReason } : {},
);
