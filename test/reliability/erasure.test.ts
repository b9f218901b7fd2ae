import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KEY_FILES } from "../../src/crypto/keyFile.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";
import { createLogger } from "../../src/logger.js";
import { openPersonalData } from "../../src/privacy/openPersonalData.js";
import { withPersonalData } from "../../src/privacy/personalDataStore.js";
import { createSqliteKeyStore, KEY_STORE_FILE } from "../../src/privacy/sqliteKeyStore.js";
import { ADMIN_PAT_FILE } from "../../src/service.js";
import { spawnService } from "../support/process.js";
import { restClient, startTestService } from "../support/service.js";

const quiet = createLogger("error", true);

const openFiles = async (dir: string) => {
  const log = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  const personalData = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, KEY_FILES.personalData), log, logger: quiet });
  return {
    store: withEventSchemas(withPersonalData(log, personalData.vault)),
    keys: personalData.vault.keyStore,
    async close() {
      await personalData.close();
      await log.close();
    },
  };
};

const human = (userName: string) => ({ userName, profile: { firstName: "Kill", lastName: "Nine" }, email: { email: `${userName}@example.com` } });

describe("the key store at start", () => {
  it("a lost key store is refused with a clear error, never served as erased; so is another master key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-keystore-"));
    try {
      const first = await startTestService({}, dir);
      assert.equal((await restClient(first)("POST", "/management/v1/users/human", human("lost-keys"))).status, 200);
      await first.close();

      const masterKey = await readFile(join(dir, KEY_FILES.personalData));
      await writeFile(join(dir, KEY_FILES.personalData), Buffer.alloc(32, 7).toString("base64") + "\n", { mode: 0o600 });
      await assert.rejects(startTestService({}, dir), /master key \(PERSONAL_DATA_KEY_FILE\) does not open the key store/);
      await writeFile(join(dir, KEY_FILES.personalData), masterKey, { mode: 0o600 });

      for (const suffix of ["", "-wal", "-shm"]) await rm(join(dir, KEY_STORE_FILE + suffix), { force: true });
      await assert.rejects(startTestService({}, dir), /key store is empty but the log holds encrypted personal data/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("erasure under kill -9", () => {
  it("a process killed amid removals leaves every user either kept with its key or erased with the event; interrupted erasures finish at the next start", { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-erasure-kill-"));
    try {
      let service = await spawnService({ DATA_DIR: dir });
      const call = restClient({ url: service.url, adminToken: (await readFile(join(dir, ADMIN_PAT_FILE), "utf8")).trim() });
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) ids.push((await call("POST", "/management/v1/users/human", human(`victim-${i}`))).body.userId);
      // Removals in flight, and the process killed once the first has answered.
      const removals = ids.slice(0, 20).map((id) => call("DELETE", `/management/v1/users/${id}`).catch(() => undefined));
      await Promise.race(removals);
      service.child.kill("SIGKILL");
      await service.exited;
      await Promise.allSettled(removals);

      // The two states a crash between the steps leaves, made by hand on the stopped files: a
      // removal appended after the key was marked (the erasure event not yet), and a key marked
      // for a removal that never happened.
      const [removedUnerased, markedOnly] = [ids[20]!, ids[21]!];
      const files = await openFiles(dir);
      await files.keys.markErasing(removedUnerased);
      const history = await files.store.readStream(`user-${removedUnerased}`);
      await files.store.append(`user-${removedUnerased}`, [{ id: randomUUID(), type: "user.removed", data: { userName: `victim-20` }, metadata: { ...history.at(-1)!.metadata, createdAt: new Date().toISOString(), schemaVersion: 1 } }], {
        expectedRevision: history.at(-1)!.revision,
        uniqueConstraints: [{ action: "remove", name: "usernames", value: "victim-20" }],
      });
      await files.keys.markErasing(markedOnly);
      await files.close();

      service = await spawnService({ DATA_DIR: dir });
      assert.match(service.output(), /finished erasures that a stop had interrupted/);
      service.child.kill("SIGTERM");
      await service.exited;

      const after = await openFiles(dir);
      try {
        let erased = 0;
        for (const id of ids) {
          const events = await after.store.readStream(`user-${id}`);
          const types = events.map((event) => event.type);
          const key = await after.keys.get(id);
          if (types.includes("user.removed")) {
            assert.equal(types.at(-1), "user.personal.data.erased", `${id}: removed, so erased in the log`);
            assert.equal(key?.state, "erased", `${id}: removed, so its key is gone`);
            erased++;
          } else {
            // Kept, and still opens: marked (a removal killed between its mark and its append), or not.
            assert.ok(key?.state === "active" || key?.state === "erasing", `${id}: not removed, so its key is kept`);
            assert.equal((events[0]!.data as { userName: string }).userName, `victim-${ids.indexOf(id)}`);
          }
        }
        assert.ok(erased >= 2, "the first removal answered, and the hand-made one was finished");
        assert.equal((await after.keys.get(markedOnly))?.state, "erasing", "a mark is never taken back");
        assert.equal((await after.keys.get(removedUnerased))?.state, "erased");
        for (const id of await after.keys.erasing()) {
          assert.ok(!(await after.store.readStream(`user-${id}`)).some((event) => event.type === "user.removed"), `${id}: removed, yet left half-erased`);
        }
      } finally {
        await after.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a mark on a key is never taken back", () => {
  it("a removal recorded elsewhere whose erasure did not finish: a second RemoveUser (404) carries it through, else the next start does", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-erasure-mark-"));
    const keys = createSqliteKeyStore(join(dir, KEY_STORE_FILE));
    let service = await startTestService({}, dir);
    try {
      const call = restClient(service);
      // Another instance's RemoveUser: its mark, then its removal, and it dies before the erasure.
      const removedElsewhere = async (userName: string) => {
        const userId = (await call("POST", "/management/v1/users/human", human(userName))).body.userId;
        await keys.markErasing(userId);
        const history = await service.store.readStream(`user-${userId}`);
        await service.store.append(`user-${userId}`, [{ id: randomUUID(), type: "user.removed", data: { userName }, metadata: { ...history.at(-1)!.metadata, createdAt: new Date().toISOString(), schemaVersion: 1 } }], {
          expectedRevision: history.at(-1)!.revision,
          uniqueConstraints: [{ action: "remove", name: "usernames", value: userName }],
        });
        return userId;
      };
      const retried = await removedElsewhere("marked-retried");
      const leftAlone = await removedElsewhere("marked-left-alone");
      // A second RemoveUser (a retry, a double submit) answers 404, the user being gone, and finishes the erasure.
      assert.equal((await call("DELETE", `/management/v1/users/${retried}`)).status, 404);
      assert.equal((await keys.get(retried))?.state, "erased", "the 404 took the mark back, or left the erasure undone");
      const tail = (await service.store.readStream(`user-${retried}`)).at(-1)!;
      assert.deepEqual([tail.type, tail.metadata.editorUser], ["user.personal.data.erased", "SYSTEM"]);
      // Erasing a user who is not removed is refused, and leaves that user's mark as it was.
      const bobId = (await call("POST", "/management/v1/users/human", human("marked-bob"))).body.userId;
      await keys.markErasing(bobId);
      assert.equal((await call("POST", `/privacy/v1/users/${bobId}/_erase`)).status, 400);
      assert.equal((await keys.get(bobId))?.state, "erasing");
      assert.equal((await keys.get(leftAlone))?.state, "erasing");
      await service.close();

      service = await startTestService({}, dir);
      assert.equal((await keys.get(leftAlone))?.state, "erased", "the start carried the erasure through");
      assert.equal((await service.store.readStream(`user-${leftAlone}`)).at(-1)!.type, "user.personal.data.erased");
      // Bob is not removed: marked still, and served as before.
      assert.equal((await keys.get(bobId))?.state, "erasing");
      const bob = await restClient(service)("GET", `/management/v1/users/${bobId}`);
      assert.equal(bob.status, 200);
      assert.equal(bob.body.user.human.profile.lastName, "Nine");
      assert.equal((await restClient(service)("DELETE", `/management/v1/users/${bobId}`)).status, 200);
      assert.equal((await keys.get(bobId))?.state, "erased", "a marked key is erased with its user's removal");
    } finally {
      await service.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
