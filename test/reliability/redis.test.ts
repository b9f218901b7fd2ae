import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { activeGeneration, requestRebuild } from "../../src/projections/redis/generations.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "../../src/projections/redis/keys.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP redis reliability: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
const admin = server && connectRedis(server.url);
after(async () => {
  admin?.disconnect();
  await server?.stop();
});
const keys = redisKeys(DEFAULT_KEY_PREFIX);

/** SQLite + Redis, with a short lease so that take-overs and rebuilds happen within a test. */
const redisEnv = (extra: Record<string, string> = {}) => ({ REDIS_URL: server!.url, PROJECTOR_LEASE_MS: "300", ...extra });

describe("SQLite + Redis", { skip: skipReason }, () => {
  const running: { dispose(): Promise<void> }[] = [];
  const track = <T extends { dispose(): Promise<void> }>(thing: T): T => (running.push(thing), thing);
  beforeEach(async () => {
    await whenReady(admin!, 5000);
    await admin!.flushall();
  });
  afterEach(async () => {
    for (const thing of running.splice(0).reverse()) await thing.dispose();
  });

  it("two instances on one log and one Redis: a write on either is read on the other at once", async () => {
    // The lease holder's fallback poll of the shared log is a minute away, far beyond the 2 s a read
    // waits for the projection: only the append announcement through Redis can make these reads pass.
    const slowPoll = { SHARED_LOG_POLL_MS: "60000" };
    const projecting = track(await startTestService(redisEnv(slowPoll)));
    const reading = track(await startTestService(redisEnv({ ...slowPoll, PROJECTOR: "off" }), projecting.dataDir));
    // Read-your-writes is promised once the deployment is ready: the projector holds its lease and has caught up.
    await eventually(async () => ((await fetch(`${projecting.url}/debug/ready`)).ok ? true : undefined));

    for (const [writer, reader] of [
      [reading, projecting],
      [projecting, reading],
      [reading, projecting],
      [projecting, reading],
    ] as const) {
      const userName = `robot-${randomUUID()}`;
      const { userId } = await addMachine(writer, userName);
      const read = await restClient(reader)("GET", `/management/v1/users/${userId}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.user.userName, userName);
    }
  });

  it("a personal access token removed on one instance is refused on the other at once, both ways", async () => {
    const slowPoll = { SHARED_LOG_POLL_MS: "60000" };
    const projecting = track(await startTestService(redisEnv(slowPoll)));
    const reading = track(await startTestService(redisEnv({ ...slowPoll, PROJECTOR: "off" }), projecting.dataDir));
    await eventually(async () => ((await fetch(`${projecting.url}/debug/ready`)).ok ? true : undefined));
    const { userId } = await addMachine(projecting, `holder-${randomUUID()}`);
    await restClient(projecting)("POST", "/management/v1/orgs/me/members", { userId, roles: ["ORG_USER_MANAGER"] });

    for (const [remover, user] of [
      [reading, projecting],
      [projecting, reading],
    ] as const) {
      const pat = (await restClient(remover)("POST", `/management/v1/users/${userId}/pats`, {})).body as { tokenId: string; token: string };
      const asHolder = restClient({ url: user.url, adminToken: pat.token });
      assert.equal((await asHolder("GET", `/management/v1/users/${userId}`)).status, 200);
      assert.equal((await restClient(remover)("DELETE", `/management/v1/users/${userId}/pats/${pat.tokenId}`)).status, 200);
      const refused = await asHolder("GET", `/management/v1/users/${userId}`);
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(refused.body.details[0].id, "AUTH-7fs1e");
    }
  });

  it("a projector process that dies is replaced by an API instance within seconds", { timeout: 30_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "idledger-projector-"));
    track({ dispose: () => rm(dataDir, { recursive: true, force: true }) });
    const projector = await startProjectorProcess(dataDir);
    track({ dispose: async () => void projector.kill("SIGKILL") });
    const api = track(await startTestService(redisEnv(), dataDir));

    const before = await addMachine(api, `before-${randomUUID()}`);
    assert.equal((await restClient(api)("GET", `/management/v1/users/${before.userId}`)).status, 200);
    const holder = await admin!.get(keys.lease);
    assert.ok(holder, "the projector process holds the lease");

    projector.kill("SIGKILL");
    const afterDeath = await addMachine(api, `after-${randomUUID()}`);
    const read = await restClient(api)("GET", `/management/v1/users/${afterDeath.userId}`);
    assert.equal(read.status, 200, "the API instance took the lease over and projected the new user");
    assert.notEqual(await admin!.get(keys.lease), holder);
  });

  it("Redis killed mid-run: 503 with code 14 and not ready; back empty: recovers and rebuilds by itself", { timeout: 30_000 }, async () => {
    const api = track(await startTestService(redisEnv()));
    const call = restClient(api);
    const { userId } = await addMachine(api, `robot-${randomUUID()}`);

    await server!.kill();
    const down = await call("GET", `/management/v1/users/${userId}`);
    assert.equal(down.status, 503);
    assert.equal(down.body.code, 14);
    assert.equal((await fetch(`${api.url}/debug/ready`)).status, 503);

    await server!.restart();
    const back = await eventually(async () => {
      const read = await call("GET", `/management/v1/users/${userId}`);
      return read.status === 200 ? read : undefined;
    });
    assert.equal(back.body.user.id, userId);
    assert.equal((await fetch(`${api.url}/debug/ready`)).status, 200);
  });

  it("FLUSHALL: the projector notices and rebuilds the read model by itself", { timeout: 30_000 }, async () => {
    const api = track(await startTestService(redisEnv()));
    const call = restClient(api);
    const users = [await addMachine(api, `one-${randomUUID()}`), await addMachine(api, `two-${randomUUID()}`)];
    const before = await activeGeneration(admin!, keys);

    await admin!.flushall();
    for (const { userId } of users) {
      const read = await eventually(async () => {
        const response = await call("GET", `/management/v1/users/${userId}`);
        return response.status === 200 ? response : undefined;
      });
      assert.equal(read.body.user.id, userId);
    }
    const rebuilt = await activeGeneration(admin!, keys);
    assert.ok(rebuilt && rebuilt !== before, "readers point at a new generation");
  });

  it("a requested rebuild switches readers to a new generation with no failed read, then drops the old one", { timeout: 30_000 }, async () => {
    const api = track(await startTestService(redisEnv()));
    const call = restClient(api);
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => addMachine(api, `bulk-${i}-${randomUUID()}`)));
    const before = await activeGeneration(admin!, keys);
    assert.ok(before);

    await requestRebuild(admin!, keys);
    let reads = 0;
    while ((await activeGeneration(admin!, keys)) === before) {
      const { userId } = users[reads++ % users.length]!;
      const read = await call("GET", `/management/v1/users/${userId}`);
      assert.equal(read.status, 200, `read ${reads} during the rebuild failed`);
    }
    for (const { userId } of users) assert.equal((await call("GET", `/management/v1/users/${userId}`)).status, 200);
    await eventually(async () => ((await admin!.keys(`${keys.generation(before)}*`)).length === 0 ? true : undefined));
  });

  it("`idledger rebuild --redis` asks the lease holder for that rebuild", { timeout: 30_000 }, async () => {
    const api = track(await startTestService(redisEnv()));
    const { userId } = await addMachine(api, `cli-${randomUUID()}`);
    const before = await activeGeneration(admin!, keys);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "rebuild", "--redis", server!.url], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        stdio: "ignore",
      });
      child.once("exit", resolve);
    });
    assert.equal(code, 0);
    await eventually(async () => ((await activeGeneration(admin!, keys)) !== before ? true : undefined));
    assert.equal((await restClient(api)("GET", `/management/v1/users/${userId}`)).status, 200);
  });
});

async function addMachine(service: TestService, userName: string): Promise<{ userId: string }> {
  const created = await restClient(service)("POST", "/management/v1/users/machine", { userName, name: "Robot" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) assert.fail("the condition never held");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// `npm run projector` as a child process; resolves once it holds the lease.
async function startProjectorProcess(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/projector.ts"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: { ...process.env, REDIS_URL: server!.url, DATA_DIR: dataDir, PROJECTOR_LEASE_MS: "300", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Keeps reading its output, so that the child never blocks on a full pipe.
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => line.includes("projection lease taken") && resolve());
    child.once("exit", () => reject(new Error("the projector process exited before taking the lease")));
  });
  return child;
}
