import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createLogger } from "../../src/logger.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import { activeGeneration, requestRebuild } from "../../src/projections/redis/generations.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "../../src/projections/redis/keys.js";
import { createAppendSignal } from "../../src/projections/redis/appendSignal.js";
import { watchCheckpoint } from "../../src/projections/redis/progress.js";
import { startRedisReadSide } from "../../src/projections/redis/readSide.js";
import { newEvent } from "../contract/eventStore.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { openStream } from "../support/sse.js";

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
    // No waiting for readiness: the first write lands while the projecting instance may still be in its
    // first-start rebuild, and must be read all the same.

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

  it("an event stream on one instance delivers what the other instance writes, at once", async () => {
    const slowPoll = { SHARED_LOG_POLL_MS: "60000" };
    const projecting = track(await startTestService(redisEnv(slowPoll)));
    const reading = track(await startTestService(redisEnv({ ...slowPoll, PROJECTOR: "off" }), projecting.dataDir));
    for (const [writer, streaming] of [
      [projecting, reading],
      [reading, projecting],
    ] as const) {
      const stream = await openStream(streaming.url, streaming.adminToken, `?from=${await streaming.store.headPosition()}&types=user.machine.added`);
      assert.equal(stream.response.status, 200);
      const userName = `streamed-${randomUUID()}`;
      await addMachine(writer, userName);
      // The fallback poll is a minute away: only the append announcement can bring the event here.
      await stream.untilFrame((frame) => frame.data.data.userName === userName, 5000);
      stream.close();
    }
  });

  it("a read side stopped at any moment of its start stops, and leaves no Redis connection open", { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "idledger-stop-"));
    const log = createSqliteEventStore({ path: join(dataDir, "events.sqlite") });
    track({ dispose: async () => (await log.close(), await rm(dataDir, { recursive: true, force: true })) });
    await log.append("user-1", [newEvent("user.machine.added", { userName: "robot", name: "Robot" })], { expectedRevision: "no_stream" });
    const open = (runProjector = true) =>
      startRedisReadSide({ url: server!.url, store: log, subscriptionsSeeAllAppends: false, reducers, runProjector, leaseMs: 300, logger: createLogger("error", true) });
    const first = await open();
    await eventually(async () => ((await first.readModel.checkpoint()) === 1n ? true : undefined));
    await first.close();

    // The log is projected already: each start finds nothing to catch up on and goes live at once,
    // and the stops land everywhere in between (the projector reading its checkpoint, opening its subscription).
    for (let round = 0; round < 60; round++) {
      const side = await open();
      for (let turn = 0; turn < round % 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      await side.close();
    }
    const own = `id=${await admin!.client("ID")} `;
    await eventually(async () => {
      const others = ((await admin!.client("LIST")) as string).split("\n").filter((line) => line.includes(" name=idledger") && !line.startsWith(own));
      return others.length === 0 ? true : undefined;
    });
  });

  it("announcements and commits are heard by subscriptions made while their connection was still in its handshake", { timeout: 30_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "idledger-handshake-"));
    const log = createSqliteEventStore({ path: join(dataDir, "events.sqlite") });
    const subscriber = connectRedis(server!.url, { subscriber: true });
    track({ dispose: async () => (subscriber.disconnect(), await log.close(), await rm(dataDir, { recursive: true, force: true })) });
    // Connected, its ready check not answered yet: where the first start of an instance subscribes.
    await once(subscriber, "connect");
    const signal = createAppendSignal({ redis: admin!, subscriber, channel: keys.appendedChannel, pollMs: 600_000 });
    const progress = watchCheckpoint({ subscriber, channel: keys.committedChannel, checkpoint: async () => undefined, pollMs: 600_000 });
    track({ dispose: async () => (signal.close(), await progress.close()) });
    await signal.subscribed;
    assert.ok(await whenReady(subscriber, 5000));

    const follower = signal.following(log).subscribe()[Symbol.asyncIterator]();
    const next = follower.next();
    await log.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    const committed = progress.waitFor(1n, 10_000);
    // Published by "another process": only the subscriptions can carry these.
    await eventually(async () => ((await admin!.publish(keys.appendedChannel, "1")) > 0 ? true : undefined));
    await admin!.publish(keys.committedChannel, "1");
    const woken = await Promise.race([next.then(({ value }) => value?.stream), new Promise((resolve) => setTimeout(resolve, 10_000, "not woken"))]);
    assert.equal(woken, "user-1", "the announced append woke the follower");
    assert.equal(await committed, true, "the published checkpoint reached the waiter");
    await follower.return?.(undefined);
  });

  it("a follower woken by many appends within one poll interval leaves no wait behind per wake", { timeout: 30_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "idledger-wakes-"));
    const log = createSqliteEventStore({ path: join(dataDir, "events.sqlite") });
    const subscriber = connectRedis(server!.url, { subscriber: true });
    const signal = createAppendSignal({ redis: admin!, subscriber, channel: keys.appendedChannel, pollMs: 600_000 });
    track({ dispose: async () => (signal.close(), subscriber.disconnect(), await log.close(), await rm(dataDir, { recursive: true, force: true })) });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      const appending = signal.announcing(log);
      const follower = signal.following(log).subscribe()[Symbol.asyncIterator]();
      // Each event is read only after the follower has gone back to waiting: 30 waits, each ended by an append.
      for (let i = 0; i < 30; i++) {
        const next = follower.next();
        await new Promise((resolve) => setTimeout(resolve, 5));
        await appending.append(`user-${i}`, [newEvent()], { expectedRevision: "no_stream" });
        assert.equal((await next).value?.stream, `user-${i}`);
      }
      await follower.return?.(undefined);
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings.filter((warning) => warning.startsWith("MaxListenersExceededWarning")), []);
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

  it("a user locked or deactivated on one instance has its token refused on the other at once, both ways", async () => {
    const slowPoll = { SHARED_LOG_POLL_MS: "60000" };
    const projecting = track(await startTestService(redisEnv(slowPoll)));
    const reading = track(await startTestService(redisEnv({ ...slowPoll, PROJECTOR: "off" }), projecting.dataDir));
    const { userId } = await addMachine(projecting, `locked-${randomUUID()}`);
    await restClient(projecting)("POST", "/management/v1/orgs/me/members", { userId, roles: ["ORG_USER_MANAGER"] });
    const pat = (await restClient(projecting)("POST", `/management/v1/users/${userId}/pats`, {})).body as { token: string };

    for (const [actor, user, [revoke, restore]] of [
      [reading, projecting, ["_lock", "_unlock"]],
      [projecting, reading, ["_deactivate", "_reactivate"]],
    ] as const) {
      const asHolder = restClient({ url: user.url, adminToken: pat.token });
      assert.equal((await asHolder("GET", `/management/v1/users/${userId}`)).status, 200);
      assert.equal((await restClient(actor)("POST", `/management/v1/users/${userId}/${revoke}`, {})).status, 200);
      const refused = await asHolder("GET", `/management/v1/users/${userId}`);
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal((await restClient(actor)("POST", `/management/v1/users/${userId}/${restore}`, {})).status, 200);
      assert.equal((await asHolder("GET", `/management/v1/users/${userId}`)).status, 200);
    }
  });

  it("with nobody projecting, a request fails closed (503) instead of authenticating from a read model behind the log", async () => {
    const projecting = await startTestService(redisEnv());
    const reading = track(await startTestService(redisEnv({ PROJECTOR: "off", CONSISTENCY_TIMEOUT_MS: "300" }), projecting.dataDir));
    track({ dispose: () => rm(projecting.dataDir, { recursive: true, force: true }) });
    const { userId } = await addMachine(reading, `stale-${randomUUID()}`);
    await restClient(reading)("POST", "/management/v1/orgs/me/members", { userId, roles: ["ORG_USER_MANAGER"] });
    const pat = (await restClient(reading)("POST", `/management/v1/users/${userId}/pats`, {})).body as { token: string };
    const asHolder = restClient({ url: reading.url, adminToken: pat.token });
    assert.equal((await asHolder("GET", `/management/v1/users/${userId}`)).status, 200);

    await projecting.close();
    assert.equal((await restClient(reading)("POST", `/management/v1/users/${userId}/_lock`, {})).status, 200);
    for (const attempt of [() => asHolder("GET", `/management/v1/users/${userId}`), () => asHolder("POST", "/management/v1/users/machine", { userName: `by-locked-${randomUUID()}`, name: "N" })]) {
      const refused = await attempt();
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 14);
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
    const ready = await fetch(`${api.url}/debug/ready`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ok", "Redis being away parks no event: only a reducer's refusal does");
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

  it("a read model of another shape (an upgrade changed its collections) is rebuilt from the log at start, not read", { timeout: 30_000 }, async () => {
    const first = await startTestService(redisEnv());
    const { userId } = await addMachine(first, `shaped-${randomUUID()}`);
    const old = await activeGeneration(admin!, keys);
    await first.close();
    await admin!.set(`${keys.generation(old!)}shape`, "users1,orgs1");
    track({ dispose: () => rm(first.dataDir, { recursive: true, force: true }) });

    const second = track(await startTestService(redisEnv(), first.dataDir));
    const read = await eventually(async () => {
      const response = await restClient(second)("GET", `/management/v1/users/${userId}`);
      return response.status === 200 ? response : undefined;
    });
    assert.equal(read.body.user.id, userId);
    const rebuilt = await activeGeneration(admin!, keys);
    assert.ok(rebuilt && rebuilt !== old, "readers point at a generation built for today's shape");
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

  it("an event the reducers refuse is parked in Redis: ready says so, failed-events --redis lists it, a rebuild tries it again", { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "idledger-parked-"));
    track({ dispose: () => rm(dataDir, { recursive: true, force: true }) });
    const first = await startTestService(redisEnv(), dataDir);
    const human = await restClient(first)("POST", "/management/v1/users/human", { userName: `h-${randomUUID()}`, profile: { firstName: "H", lastName: "L" }, email: { email: "h@example.com" } });
    assert.equal(human.status, 200, JSON.stringify(human.body));
    await first.close();
    // Written past every command, as an import or a hand-edited log could: a machine's change on a human.
    // As stored: the human's events are sealed (src/privacy), which the schema check alone cannot read.
    const log = createSqliteEventStore({ path: join(dataDir, "events.sqlite") });
    const [last] = (await log.readStream(`user-${human.body.userId}`)).slice(-1);
    const wrongId = randomUUID();
    await log.append(`user-${human.body.userId}`, [{ id: wrongId, type: "user.machine.changed", data: { name: "no machine" }, metadata: { ...last!.metadata, schemaVersion: 1 } }], { expectedRevision: last!.revision });
    await log.close();

    const api = track(await startTestService(redisEnv(), dataDir));
    const parkedIn = async () => {
      const listed = await runCli("failed-events", "--redis", server!.url);
      return listed.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as { eventId: string; attempts: number });
    };
    const [parked] = await eventually(async () => {
      const found = await parkedIn();
      return found.length > 0 ? found : undefined;
    });
    assert.equal(parked!.eventId, wrongId);
    assert.equal(parked!.attempts, 3, "tried three times before it was parked");
    const ready = await fetch(`${api.url}/debug/ready`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /parked events: 1 /);
    const after = await addMachine(api, `after-parked-${randomUUID()}`);
    assert.equal((await restClient(api)("GET", `/management/v1/users/${after.userId}`)).status, 200, "the projection goes on");

    const before = await activeGeneration(admin!, keys);
    await requestRebuild(admin!, keys);
    await eventually(async () => ((await activeGeneration(admin!, keys)) !== before ? true : undefined));
    assert.deepEqual((await parkedIn()).map(({ eventId }) => eventId), [wrongId], "the rebuild tried it again, in log order, and parked it again");
  });

  it("`idledger rebuild --redis` asks the lease holder for that rebuild", { timeout: 30_000 }, async () => {
    const api = track(await startTestService(redisEnv()));
    const { userId } = await addMachine(api, `cli-${randomUUID()}`);
    const before = await activeGeneration(admin!, keys);
    assert.equal((await runCli("rebuild", "--redis", server!.url)).code, 0);
    await eventually(async () => ((await activeGeneration(admin!, keys)) !== before ? true : undefined));
    assert.equal((await restClient(api)("GET", `/management/v1/users/${userId}`)).status, 200);
  });
});

async function addMachine(service: TestService, userName: string): Promise<{ userId: string }> {
  const created = await restClient(service)("POST", "/management/v1/users/machine", { userName, name: "Robot" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body;
}

/** `idledger <args>` in a process of its own. */
function runCli(...args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.once("exit", (code) => resolve({ code, stdout }));
  });
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
