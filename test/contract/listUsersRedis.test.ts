import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, describe, it } from "node:test";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { add, testListUsers } from "./listUsers.js";

const skipReason = redisSkipReason();
const server = skipReason ? undefined : await startRedisServer();
after(() => server?.stop());

testListUsers("redis", () => server && { REDIS_URL: server.url }, { skipReason });

describe("ListUsers with Redis, two instances on one log", { skip: skipReason }, () => {
  const running: TestService[] = [];
  afterEach(async () => {
    for (const service of running.splice(0).reverse()) await service.dispose();
  });

  it("a create, change, lock and removal on one instance show in the next ListUsers on the other; no search data in Redis", { timeout: 60_000 }, async () => {
    // The contract suite's service left a read model of another log under the same prefix.
    const admin = connectRedis(server!.url);
    await whenReady(admin, 5000);
    await admin.flushall();
    admin.disconnect();
    // A minute's poll: only the append announcements can make the other instance's index catch up in time.
    const env = { REDIS_URL: server!.url, PROJECTOR_LEASE_MS: "300", SHARED_LOG_POLL_MS: "60000" };
    const writer = await startTestService(env);
    running.push(writer);
    const reader = await startTestService({ ...env, PROJECTOR: "off" }, writer.dataDir);
    running.push(reader);
    const write = restClient(writer);
    const read = restClient({ url: reader.url, adminToken: writer.adminToken });
    const orgId = (await write("POST", "/management/v1/orgs", { name: `two-${randomUUID()}` })).body.id as string;
    const names = async () => {
      const listed = await read("POST", "/management/v1/users/_search", { queries: [{ stateQuery: { state: "USER_STATE_ACTIVE" } }] }, { orgId });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      return (listed.body.result ?? []).map((user: { userName: string }) => user.userName);
    };

    const userName = `Erin-${randomUUID()}`;
    const id = await add(write, orgId, { userName, human: { firstName: "Erin", lastName: "Secret", email: "erin.secret@example.com" } });
    assert.deepEqual(await names(), [userName]);
    assert.equal((await write("PUT", `/management/v1/users/${id}/username`, { userName: `${userName}-2` }, { orgId })).status, 200);
    assert.deepEqual(await names(), [`${userName}-2`]);
    assert.equal((await write("POST", `/management/v1/users/${id}/_lock`, {}, { orgId })).status, 200);
    assert.deepEqual(await names(), []);
    assert.equal((await write("POST", `/management/v1/users/${id}/_unlock`, {}, { orgId })).status, 200);
    assert.deepEqual(await names(), [`${userName}-2`]);
    assert.equal((await write("DELETE", `/management/v1/users/${id}`, undefined, { orgId })).status, 200);
    const gone = await read("POST", "/management/v1/users/_search", {}, { orgId });
    assert.equal(gone.body.details.totalResult ?? "0", "0");

    // The index lives in each instance: Redis holds no search structure of it.
    const redis = connectRedis(server!.url);
    try {
      await whenReady(redis, 5000);
      assert.deepEqual(await redis.keys("*usersearch*"), []);
      assert.deepEqual(await redis.keys("*trigram*"), []);
    } finally {
      redis.disconnect();
    }
  });
});
