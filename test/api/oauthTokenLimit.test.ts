import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { addKey, addMachine, assertion, basic, generateSecret, postForm, type KeyFile, type TestMachine } from "../support/oauth.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

/**
 * OAUTH_MAX_LIVE_TOKENS_PER_USER: a machine holds at most that many live access tokens, whatever
 * grant gave them and whichever instance; a revocation frees one at once; the count survives a
 * restart (it is projected from the log's grants). Real services, real HTTP; with Redis, two
 * instances on one log and one Redis (a real redis-server), the grants alternating between them.
 */
const LIMIT = 2;

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP live token limit with Redis: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
after(() => server?.stop());

function limitSuite(name: string, instances: 1 | 2, env: () => Record<string, string>, skip?: string) {
  describe(`live access tokens per machine user (${name})`, { skip }, () => {
    let dataDir: string;
    let services: TestService[] = [];
    let limited: TestMachine;
    let limitedSecret: string;
    let limitedKey: KeyFile;
    let other: TestMachine;
    let otherSecret: string;
    let turn = 0;
    // Each call on the next instance: with two, the count must be every instance's.
    const next = () => services[turn++ % services.length]!;
    const start = async () => {
      services = [];
      for (let i = 0; i < instances; i++) services.push(await startTestService({ ...env(), OAUTH_MAX_LIVE_TOKENS_PER_USER: String(LIMIT), ...(i > 0 ? { PROJECTOR: "off" } : {}) }, dataDir));
    };
    const stop = async () => {
      for (const service of services.reverse()) await service.dispose();
    };
    const grant = (machine: TestMachine, secret: string) => postForm(`${next().url}/oauth/v2/token`, { grant_type: "client_credentials" }, basic(machine.userName, secret));

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "idledger-token-limit-"));
      await start();
      const call = restClient(services[0]!);
      limited = await addMachine(call, "limited");
      limitedSecret = await generateSecret(call, limited);
      limitedKey = await addKey(call, limited);
      other = await addMachine(call, "other");
      otherSecret = await generateSecret(call, other);
    });
    after(async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const tokens: string[] = [];

    it("issues up to the limit, then answers 429 with a Retry-After of when its oldest token expires, for every grant type", async () => {
      for (let i = 0; i < LIMIT; i++) {
        const granted = await grant(limited, limitedSecret);
        assert.equal(granted.status, 200, JSON.stringify(granted.body));
        tokens.push(granted.body.access_token);
      }
      const refused = await grant(limited, limitedSecret);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, "temporarily_unavailable");
      assert.match(refused.body.error_description, /holds 2 live access tokens/);
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 12 * 3600 - 60 && retryAfter <= 12 * 3600 + 600, `Retry-After ${retryAfter}: when the oldest of the tokens expires`);
      const issuer = next().url;
      const byKey = await postForm(`${issuer}/oauth/v2/token`, { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: await assertion(limitedKey, issuer) });
      assert.equal(byKey.status, 429, "a key's grant counts against the same user");
    });

    it("leaves other users alone, and lets no more than the limit through when one user's grants come all at once", async () => {
      const burst = await addMachine(restClient(services[0]!), `burst-${name.length}`);
      const burstSecret = await generateSecret(restClient(services[0]!), burst);
      // All at once, on one instance: each is checked before any is in the read model.
      const answers = await Promise.all(Array.from({ length: 12 }, () => postForm(`${services[0]!.url}/oauth/v2/token`, { grant_type: "client_credentials" }, basic(burst.userName, burstSecret))));
      assert.equal(answers.filter((answer) => answer.status === 200).length, LIMIT, JSON.stringify(answers.map((answer) => answer.status)));
      assert.equal(answers.filter((answer) => answer.status === 429).length, 12 - LIMIT);
      assert.equal((await grant(other, otherSecret)).status, 200);
    });

    it("counts a revoked token out at once", async () => {
      const revoked = await postForm(`${next().url}/oauth/v2/revoke`, { token: tokens.shift()! }, basic(limited.userName, limitedSecret));
      assert.equal(revoked.status, 200);
      const granted = await grant(limited, limitedSecret);
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      assert.equal((await grant(limited, limitedSecret)).status, 429);
    });

    it("still counts after a restart: the count is projected from the log", async () => {
      await stop();
      await start();
      assert.equal((await grant(limited, limitedSecret)).status, 429);
      assert.equal((await grant(other, otherSecret)).status, 200);
    });
  });
}

limitSuite("embedded: SQLite log, in-process read model", 1, () => ({}));
limitSuite(
  "two instances, one SQLite log and one Redis",
  2,
  () => ({ REDIS_URL: server!.url, PROJECTOR_LEASE_MS: "300" }),
  skipReason,
);

before(async () => {
  if (!server) return;
  const admin = connectRedis(server.url);
  await whenReady(admin, 5000);
  await admin.flushall();
  admin.disconnect();
});
