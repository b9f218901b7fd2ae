import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { REDIS_KEY_STORE_PREFIX } from "../../src/privacy/redisKeyStore.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService } from "../support/service.js";

const run = promisify(execFile);
const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP redis privacy: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
after(() => server?.stop());

const carol = {
  userName: "Quokka-Vantablack-4417",
  firstName: "Carolinthea",
  lastName: "Zwiebelfisch",
  email: "carolinthea.zwiebelfisch@mailhost-2209.example",
  phone: "+41786663311",
  metadata: "Redis-Secret-Ocelot-8086",
};
const distinctive = [...Object.values(carol), carol.userName.toLowerCase()];

/** What a backup of Redis would hold: the RDB snapshot the server streams to `redis-cli --rdb`. */
async function dump(dir: string): Promise<string> {
  const file = join(dir, `dump-${Date.now()}.rdb`);
  await run("redis-cli", ["-p", String(server!.port), "--rdb", file]);
  return readFile(file, "latin1");
}

describe("SQLite + Redis: personal data", { skip: skipReason }, () => {
  it("Redis documents, indexes and the key store hold no plaintext; erasure shreds them; a lost Redis key store is refused at start", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-redis-privacy-"));
    const dataDir = join(dir, "data");
    try {
      const service = await startTestService({ REDIS_URL: server!.url }, dataDir);
      const call = restClient(service);
      const added = await call("POST", "/management/v1/users/human", {
        userName: carol.userName,
        profile: { firstName: carol.firstName, lastName: carol.lastName },
        email: { email: carol.email },
        phone: { phone: carol.phone },
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const carolId = added.body.userId;
      await call("POST", `/management/v1/users/${carolId}/metadata/diary`, { value: Buffer.from(carol.metadata).toString("base64") });

      const user = await call("GET", `/management/v1/users/${carolId}`);
      assert.equal(user.body.user.human.profile.firstName, carol.firstName, "served from Redis, opened");
      assert.equal(user.body.user.userName, carol.userName);
      const byName = await call("POST", "/management/v1/users/human", { userName: carol.userName.toUpperCase(), profile: { firstName: "A", lastName: "B" }, email: { email: "a@example.com" } });
      assert.equal(byName.status, 409);

      const before = await dump(dir);
      assert.ok(before.includes(carolId), "the dump does hold carol's documents");
      assert.deepEqual(distinctive.filter((value) => before.includes(value) || before.includes(Buffer.from(value).toString("base64"))), []);

      assert.equal((await call("DELETE", `/management/v1/users/${carolId}`)).status, 200);
      const redis = connectRedis(server!.url);
      try {
        assert.ok(await whenReady(redis, 5000));
        const [subjects] = await redis.keys(`${REDIS_KEY_STORE_PREFIX}:*:subjects`);
        assert.equal(await redis.hget(subjects!, carolId), "x", "only the tombstone is left");
      } finally {
        redis.disconnect();
      }
      await service.close();

      // Redis restarted empty (no persistence): the key store is gone with it.
      await server!.restart();
      await assert.rejects(startTestService({ REDIS_URL: server!.url }, dataDir), /key store is empty but the log holds encrypted personal data/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
