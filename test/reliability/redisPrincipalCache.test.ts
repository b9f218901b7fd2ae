import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

// With Redis, a principal is cached per active generation and checkpoint (src/auth/principalCache.ts):
// a change made through one instance must be refused on the other on the very next request, however
// warm that other instance's cache is.

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP redis principal cache: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
after(() => server?.stop());

describe("SQLite + Redis: a cached principal on one instance never outlives a change made on the other", { skip: skipReason }, () => {
  let projecting: TestService;
  let reading: TestService;
  before(async () => {
    const admin = connectRedis(server!.url);
    await whenReady(admin, 5000);
    await admin.flushall();
    admin.disconnect();
    // The fallback poll is a minute away: only the append announcements can carry the changes.
    const env = { REDIS_URL: server!.url, PROJECTOR_LEASE_MS: "300", SHARED_LOG_POLL_MS: "60000" };
    projecting = await startTestService(env);
    reading = await startTestService({ ...env, PROJECTOR: "off" }, projecting.dataDir);
  });
  after(async () => {
    await reading?.dispose();
    await projecting?.dispose();
  });

  /** A machine user with a role and a token, created through `via`. */
  async function holder(via: TestService, userName: string, roles: string[]) {
    const call = restClient(via);
    const userId = (await call("POST", "/management/v1/users/machine", { userName, name: userName })).body.userId as string;
    if (roles.length > 0) assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId, roles })).status, 200);
    const pat = (await call("POST", `/management/v1/users/${userId}/pats`, {})).body as { token: string; tokenId: string };
    return { userId, tokenId: pat.tokenId, on: (service: TestService) => restClient({ url: service.url, adminToken: pat.token }) };
  }

  const warm = async (as: ReturnType<typeof restClient>, userId: string) => {
    for (let i = 0; i < 3; i++) assert.equal((await as("GET", `/management/v1/users/${userId}`)).status, 200);
  };

  for (const [name, actorOf, servedOf] of [
    ["changed on the reading instance, served by the projecting one", () => reading, () => projecting],
    ["changed on the projecting instance, served by the reading one", () => projecting, () => reading],
  ] as const) {
    it(`a removed token, ${name}`, async () => {
      const who = await holder(actorOf(), `pat-${name.length}-${servedOf().port}`, ["ORG_USER_MANAGER"]);
      await warm(who.on(servedOf()), who.userId);
      assert.equal((await restClient(actorOf())("DELETE", `/management/v1/users/${who.userId}/pats/${who.tokenId}`)).status, 200);
      assert.equal((await who.on(servedOf())("GET", `/management/v1/users/${who.userId}`)).status, 401);
    });

    it(`a removed user, ${name}`, async () => {
      const who = await holder(actorOf(), `removed-${name.length}-${servedOf().port}`, ["ORG_USER_MANAGER"]);
      await warm(who.on(servedOf()), who.userId);
      assert.equal((await restClient(actorOf())("DELETE", `/management/v1/users/${who.userId}`)).status, 200);
      assert.equal((await who.on(servedOf())("GET", `/management/v1/users/${who.userId}`)).status, 401);
    });

    it(`a membership granted, ${name}`, async () => {
      const who = await holder(actorOf(), `member-${name.length}-${servedOf().port}`, []);
      for (let i = 0; i < 3; i++) assert.equal((await who.on(servedOf())("GET", `/management/v1/users/${who.userId}`)).status, 403);
      assert.equal((await restClient(actorOf())("POST", "/management/v1/orgs/me/members", { userId: who.userId, roles: ["ORG_USER_MANAGER"] })).status, 200);
      assert.equal((await who.on(servedOf())("GET", `/management/v1/users/${who.userId}`)).status, 200);
    });
  }
});
