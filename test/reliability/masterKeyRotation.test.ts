import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { KEY_FILES } from "../../src/crypto/keyFile.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { connectRedis, whenReady } from "../../src/projections/redis/connection.js";
import type { KeyStore } from "../../src/privacy/keyStore.js";
import { writePrivateFile } from "../../src/privateFiles.js";
import { formatMasterKey, nextMasterKey, parseMasterKey, readMasterKeyFile, type MasterKey } from "../../src/privacy/masterKey.js";
import { openKeyStore } from "../../src/privacy/openPersonalData.js";
import { REDIS_KEY_STORE_PREFIX } from "../../src/privacy/redisKeyStore.js";
import { createRedisKeyStore } from "../../src/privacy/redisKeyStore.js";
import { rotateKeyStore, RotationRefused } from "../../src/privacy/rotation.js";
import { createSqliteKeyStore, KEY_STORE_FILE } from "../../src/privacy/sqliteKeyStore.js";
import { MasterKeyMismatch, MasterKeyRotationUnfinished, openVault } from "../../src/privacy/vault.js";
import { subjectAad, unwrapKey } from "../../src/privacy/wrapping.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { restClient, startTestService } from "../support/service.js";

const run = promisify(execFile);
const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP redis master key rotation: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();
after(() => server?.stop());

async function cli(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const human = (userName: string, firstName: string) => ({ userName, profile: { firstName, lastName: "Rotated" }, email: { email: `${userName}@example.com` } });

/** Every subject key of the store, unwrapped under `keyFile` (as base64), and as stored. */
async function subjectKeys(keyStore: KeyStore, keyFile: string): Promise<{ plain: string[]; wrapped: string[] }> {
  const { wrapping } = await readMasterKeyFile(keyFile);
  const plain: string[] = [];
  const wrapped: string[] = [];
  for await (const [subject, entry] of keyStore.entries()) {
    if (entry.state === "erased") continue;
    const key = unwrapKey(wrapping, subjectAad(subject), entry.wrapped);
    assert.ok(key, `${subject}'s key opens under ${keyFile}`);
    plain.push(key.toString("base64"));
    wrapped.push(entry.wrapped);
  }
  return { plain, wrapped };
}

/** The same walk through one deployment on SQLite or on Redis: users before, rotation, users after. */
async function rotationKeepsEverything(backend: Record<string, string>, storeBytes: (dataDir: string) => Promise<string>) {
  const dir = await mkdtemp(join(tmpdir(), "idledger-rotate-"));
  const dataDir = join(dir, "data");
  const oldKeyFile = join(dataDir, KEY_FILES.personalData);
  const newKeyFile = join(dir, "secrets", "personal-data.key.next");
  try {
    let service = await startTestService(backend, dataDir);
    let call = restClient(service);
    const alice = (await call("POST", "/management/v1/users/human", human("Rotating-Alice", "Alicenthia"))).body.userId as string;
    const bob = (await call("POST", "/management/v1/users/human", human("rotating-bob", "Bobberick"))).body.userId as string;
    await call("POST", `/management/v1/users/${alice}/metadata/diary`, { value: Buffer.from("Rotation-Diary-1177").toString("base64") });
    const gone = (await call("POST", "/management/v1/users/human", human("rotating-gone", "Gonerick"))).body.userId as string;
    assert.equal((await call("DELETE", `/management/v1/users/${gone}`)).status, 200);
    await service.close();

    const location = { dataDir, redisUrl: backend.REDIS_URL };
    const { storeId } = await readMasterKeyFile(oldKeyFile);
    let opened = await openKeyStore(location, storeId);
    const { plain: before, wrapped: wrappedBefore } = await subjectKeys(opened.keyStore, oldKeyFile);
    await opened.close();
    assert.equal(before.length, 2, "alice's and bob's keys; the erased user's is a tombstone");

    const env = { DATA_DIR: dataDir, ...backend };
    const rotated = await cli(env, "rotate-master-key", "--new-key-file", newKeyFile);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stderr, new RegExp(`${before.length} keys rewrapped`));
    const newKeyText = await readFile(newKeyFile, "utf8");
    const newKey = await readMasterKeyFile(newKeyFile);
    assert.equal((await stat(newKeyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "secrets"))).mode & 0o777, 0o700);
    for (const secret of [newKey.wrapping.toString("base64"), newKey.uniqueHashKey.toString("base64"), newKeyText.trim()]) {
      assert.ok(!rotated.stdout.includes(secret) && !rotated.stderr.includes(secret), "the new key is never printed");
    }
    assert.equal(newKey.storeId, storeId, "the Redis key store keeps its name");

    opened = await openKeyStore(location, storeId);
    const { plain: afterKeys } = await subjectKeys(opened.keyStore, newKeyFile);
    await opened.close();
    assert.deepEqual(afterKeys.sort(), before.sort(), "the same subject keys, wrapped anew");
    const bytes = await storeBytes(dataDir);
    for (const key of before) assert.ok(!bytes.includes(key) && !bytes.includes(Buffer.from(key, "base64").toString("latin1")), "no plaintext subject key in the key store");
    for (const wrapped of wrappedBefore) assert.ok(!bytes.includes(wrapped), "no key wrapped under the old master key is left in the key store");

    const again = await cli(env, "rotate-master-key", "--new-key-file", newKeyFile);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already; nothing to do/);

    await assert.rejects(startTestService(backend, dataDir), /master key \(PERSONAL_DATA_KEY_FILE\) does not open the key store/, "the old key opens nothing any more");

    service = await startTestService({ ...backend, PERSONAL_DATA_KEY_FILE: newKeyFile }, dataDir);
    call = restClient(service);
    try {
      const read = await call("GET", `/management/v1/users/${alice}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.user.userName, "Rotating-Alice");
      assert.equal(read.body.user.human.profile.firstName, "Alicenthia");
      const diary = await call("GET", `/management/v1/users/${alice}/metadata/diary`);
      assert.equal(Buffer.from(diary.body.metadata.value, "base64").toString(), "Rotation-Diary-1177");
      assert.equal((await call("POST", "/management/v1/users/human", human("ROTATING-ALICE", "Copy"))).status, 409, "a taken userName is still refused");
      assert.equal((await call("POST", "/management/v1/users/human", human("rotating-gone", "Again"))).status, 200, "an erased user's name is free");
      const carol = await call("POST", "/management/v1/users/human", human("rotating-carol", "Carolinde"));
      assert.equal(carol.status, 200, "a new user gets a key under the new master key");
      assert.equal((await call("GET", `/management/v1/users/${carol.body.userId}`)).body.user.human.profile.firstName, "Carolinde");

      assert.equal((await call("DELETE", `/management/v1/users/${bob}`)).status, 200);
      const events = await call("POST", "/admin/v1/events/_search", { aggregateId: bob, asc: true });
      assert.equal(events.body.events[0].payload.firstName, "[erased]", "erasure still works");
      assert.deepEqual(events.body.events.slice(-1).map((e: { type: { type: string } }) => e.type.type), ["user.personal.data.erased"]);
    } finally {
      await service.close();
    }
    return { storeId };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function redisDump(dir: string): Promise<string> {
  const file = join(dir, `dump-${Date.now()}.rdb`);
  await run("redis-cli", ["-p", String(server!.port), "--rdb", file]);
  return readFile(file, "latin1");
}

describe("idledger rotate-master-key", () => {
  it("SQLite: rewraps every key; users read back, userNames stay unique, erasure works; the old key is refused", { timeout: 120_000 }, async () => {
    await rotationKeepsEverything({}, async (dataDir) => {
      const files = [KEY_STORE_FILE, `${KEY_STORE_FILE}-wal`].map((name) => join(dataDir, name)).filter(existsSync);
      return (await Promise.all(files.map((file) => readFile(file, "latin1")))).join("");
    });
  });

  it("SQLite: a rotation that died half-way is refused at start with either key, and the same command finishes it; a wrong invocation changes nothing", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-rotate-resume-"));
    const oldKeyFile = join(dir, KEY_FILES.personalData);
    const newKeyFile = join(dir, "next.key");
    try {
      let service = await startTestService({}, dir);
      const call = restClient(service);
      const ids: string[] = [];
      for (const name of ["resume-a", "resume-b", "resume-c"]) ids.push((await call("POST", "/management/v1/users/human", human(name, `First-${name}`))).body.userId);
      await service.close();

      const usage = await cli({ DATA_DIR: dir }, "rotate-master-key");
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /needs --new-key-file PATH/);
      const stranger = join(dir, "stranger.key");
      await writePrivateFile(stranger, formatMasterKey(nextMasterKey(await readMasterKeyFile(oldKeyFile))));
      const refused = await cli({ DATA_DIR: dir }, "rotate-master-key", "--new-key-file", stranger);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /exists already and the key store is not being rotated to it/);

      // What a process killed after its first batch leaves: the new key file, one entry rewrapped.
      const current = await readMasterKeyFile(oldKeyFile);
      const next = nextMasterKey(current);
      await writePrivateFile(newKeyFile, formatMasterKey(next));
      const opened = await openKeyStore({ dataDir: dir, redisUrl: undefined }, current.storeId);
      const killed: KeyStore = {
        ...opened.keyStore,
        async rewrap(changes) {
          await opened.keyStore.rewrap(changes);
          throw new Error("killed");
        },
      };
      await assert.rejects(rotateKeyStore({ keyStore: killed, current, next, nextIsNew: true, batchSize: 1 }), /killed/);
      await opened.close();

      const unfinished = /a master key rotation of the key store began and did not finish: run `idledger rotate-master-key/;
      await assert.rejects(startTestService({}, dir), unfinished);
      await assert.rejects(startTestService({ PERSONAL_DATA_KEY_FILE: newKeyFile }, dir), unfinished);

      const resumed = await cli({ DATA_DIR: dir }, "rotate-master-key", "--new-key-file", newKeyFile);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /2 keys rewrapped \(1 erased or rewrapped before\)/);

      service = await startTestService({ PERSONAL_DATA_KEY_FILE: newKeyFile }, dir);
      try {
        for (const [i, id] of ids.entries()) assert.equal((await restClient(service)("GET", `/management/v1/users/${id}`)).body.user.human.profile.firstName, `First-resume-${"abc"[i]}`);
      } finally {
        await service.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("Redis: the same, and the key store stays where it was", { skip: skipReason, timeout: 120_000 }, async () => {
    const redis = connectRedis(server!.url);
    try {
      assert.ok(await whenReady(redis, 5000));
      const { storeId } = await rotationKeepsEverything({ REDIS_URL: server!.url }, (dataDir) => redisDump(dataDir));
      assert.deepEqual(await redis.keys(`${REDIS_KEY_STORE_PREFIX}:*:subjects`), [`${REDIS_KEY_STORE_PREFIX}:${storeId}:subjects`]);
      assert.deepEqual(await redis.keys(`${REDIS_KEY_STORE_PREFIX}:*:instance-secret-next`), [], "the rotation finished");
    } finally {
      redis.disconnect();
    }
  });
});

/** A vault over a store whose log holds nothing sealed (the key store check has nothing to find). */
const emptyLog = { async *readAll() {} } as unknown as EventStore;
const open = (keyStore: KeyStore, masterKey: MasterKey) => openVault({ keyStore, masterKey, log: emptyLog, cacheTtlMs: 0 });
const firstKey = () => parseMasterKey(randomBytes(32).toString("base64"), "test");

const adapters: { name: string; skip?: string; open: (dir: string) => Promise<{ keyStore: KeyStore; close(): Promise<void> }> }[] = [
  {
    name: "SQLite",
    async open(dir) {
      const keyStore = createSqliteKeyStore(join(dir, KEY_STORE_FILE));
      return { keyStore, close: () => keyStore.close() };
    },
  },
  {
    name: "Redis",
    ...(skipReason ? { skip: skipReason } : {}),
    async open() {
      const redis = connectRedis(server!.url);
      assert.ok(await whenReady(redis, 5000));
      return { keyStore: createRedisKeyStore(redis, `test-rotation:${randomBytes(4).toString("hex")}`), close: async () => redis.disconnect() };
    },
  },
];

for (const adapter of adapters) {
  describe(`a rotation interrupted half-way (${adapter.name})`, { ...(adapter.skip ? { skip: adapter.skip } : {}) }, () => {
    it("leaves a store that no start opens and no process adds keys to, that an erasure may still change, and that a rerun finishes", { timeout: 60_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), "idledger-rotate-crash-"));
      const { keyStore, close } = await adapter.open(dir);
      try {
        const current = firstKey();
        const next = nextMasterKey(current);
        // A running instance of the old key, which no one stopped.
        const running = await open(keyStore, current);
        const subjects = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"];
        const plain = new Map<string, string>();
        for (const subject of subjects) plain.set(subject, ((await running.key(subject, true)) as Buffer).toString("base64"));

        let batches = 0;
        const done: string[] = [];
        const dying: KeyStore = {
          ...keyStore,
          async rewrap(changes) {
            if (++batches === 2) throw new Error("killed between two batches");
            done.push(...changes.map((change) => change.subject));
            return keyStore.rewrap(changes);
          },
        };
        await assert.rejects(rotateKeyStore({ keyStore: dying, current, next, nextIsNew: true, batchSize: 2 }), /killed between two batches/);

        await assert.rejects(open(keyStore, current), MasterKeyRotationUnfinished);
        await assert.rejects(open(keyStore, next), MasterKeyRotationUnfinished);
        await assert.rejects(running.key("newcomer", true), MasterKeyMismatch, "no key is wrapped under the old key meanwhile");
        assert.equal(await keyStore.get("newcomer"), undefined);
        assert.equal(done.length, 2);
        // The store's walk has its own order (Redis' HSCAN): an erasure hits one not rewrapped yet.
        const erased = subjects.find((subject) => !done.includes(subject))!;
        await keyStore.markErasing(erased);
        await keyStore.erase(erased);
        await assert.rejects(rotateKeyStore({ keyStore, current, next: nextMasterKey(current), nextIsNew: true }), RotationRefused, "only the rotation that began may go on");

        const resumed = await rotateKeyStore({ keyStore, current, next, nextIsNew: false, batchSize: 2 });
        assert.deepEqual(resumed, { rewrapped: 4, untouched: 3, alreadyDone: false }, "two were done before the crash, one is erased");

        const after = await open(keyStore, next);
        for (const subject of subjects.filter((s) => s !== erased)) assert.equal(((await after.key(subject, false)) as Buffer).toString("base64"), plain.get(subject));
        assert.equal(await after.key(erased, false), "erased");
        assert.equal(after.hashUnique("Alice"), running.hashUnique("Alice"), "the userName hash does not change");
        await assert.rejects(open(keyStore, current), MasterKeyMismatch);
        await assert.rejects(running.key("newcomer", true), MasterKeyMismatch, "a process of the old key adds nothing after the rotation either");
        assert.ok(await after.key("newcomer", true), "the new key's processes do");
        assert.deepEqual(await rotateKeyStore({ keyStore, current, next, nextIsNew: false }), { rewrapped: 0, untouched: 0, alreadyDone: true });
        await assert.rejects(rotateKeyStore({ keyStore, current: next, next: nextMasterKey(next), nextIsNew: false }), RotationRefused, "an existing file that nothing rotates to is refused");
        await assert.rejects(rotateKeyStore({ keyStore, current: next, next: { ...nextMasterKey(next), storeId: "0123456789abcdef" }, nextIsNew: true }), RotationRefused);
      } finally {
        await close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
