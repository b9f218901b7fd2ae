import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, it } from "node:test";
import { catalogue, DomainError } from "../../src/errors.js";
import type { NewEvent } from "../../src/events/envelope.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";
import { createLogger } from "../../src/logger.js";
import { createErasure } from "../../src/privacy/erasure.js";
import type { KeyStore } from "../../src/privacy/keyStore.js";
import { openPersonalData, type PersonalData } from "../../src/privacy/openPersonalData.js";
import { withPersonalData } from "../../src/privacy/personalDataStore.js";
import { eventually } from "../support/eventually.js";

// An erasure decided for a removed user that fails on a backend (here the key store's delete) is
// tried again by the process itself, not left until a restart or another RemoveUser.

let dir: string;
let log: EventStore;
let store: EventStore;
let personalData: PersonalData;
let users = 0;

const metadata = () => ({ resourceOwner: "1", instanceId: "0", editorUser: "test", createdAt: new Date().toISOString(), correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1 });
const event = (type: string, data: object): NewEvent => ({ id: randomUUID(), type, data, metadata: metadata() });
const actor = { editorUser: "remover", correlationId: randomUUID(), now: () => new Date() };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-erasure-retry-"));
  log = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  personalData = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log, logger: createLogger("error", true) });
  store = withEventSchemas(withPersonalData(log, personalData.vault));
});

after(async () => {
  await personalData.close();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

/** A human whose RemoveUser marked its key and appended the removal, and whose erasure is still to come (or not removed, when told). */
async function markedUser({ removed = true } = {}): Promise<string> {
  const userId = String(++users);
  const userName = `leaving-${userId}`;
  await store.append(`user-${userId}`, [event("user.human.added", { userName, firstName: "Lea", lastName: "Ving", email: `${userName}@example.com` })], { expectedRevision: "no_stream" });
  await personalData.vault.keyStore.markErasing(userId);
  if (removed) await store.append(`user-${userId}`, [event("user.removed", { userName })], { expectedRevision: 0 });
  return userId;
}

/** The key store, its deletes failing `failures` times first; `attempts` counts them. */
function flakyKeys(failures: number) {
  const keys = personalData.vault.keyStore;
  const flaky = {
    attempts: 0,
    at: [] as number[],
    keyStore: {
      ...keys,
      async erase(subject: string) {
        flaky.attempts++;
        flaky.at.push(performance.now());
        if (flaky.attempts <= failures) throw new Error("the key store is not reachable");
        return keys.erase(subject);
      },
    } satisfies KeyStore,
  };
  return flaky;
}

const erasures = async (userId: string) => (await store.readStream(`user-${userId}`)).filter((recorded) => recorded.type === "user.personal.data.erased").length;

it("a failed erasure is tried again, waiting longer each time, until the key is gone; the log says it once", async () => {
  const userId = await markedUser();
  const flaky = flakyKeys(3);
  const erasure = createErasure(store, { ...personalData.vault, keyStore: flaky.keyStore }, { retryFirstMs: 20, retryMaxMs: 40 });
  try {
    await assert.rejects(erasure.erase(userId, actor), /not reachable/);
    assert.equal((await personalData.vault.keyStore.get(userId))?.state, "erasing");
    await eventually(() => personalData.vault.keyStore.get(userId), (entry) => entry?.state === "erased", 5_000);
    assert.equal(flaky.attempts, 4);
    // After 20 ms, then twice that, then no longer than the most (40 ms): never sooner (a timer may fire a little early).
    const waits = flaky.at.slice(1).map((at, i) => at - flaky.at[i]!);
    assert.ok(waits[0]! >= 18 && waits[1]! >= 38 && waits[2]! >= 38, `waits ${waits.join(", ")}`);
    assert.equal(await erasures(userId), 1);
    // Done: nothing is tried again.
    await sleep(150);
    assert.equal(flaky.attempts, 4);
  } finally {
    erasure.close();
  }
});

it("after close, a failed erasure is not tried again (the next start finishes it)", async () => {
  const userId = await markedUser();
  const flaky = flakyKeys(Infinity);
  const erasure = createErasure(store, { ...personalData.vault, keyStore: flaky.keyStore }, { retryFirstMs: 20 });
  await assert.rejects(erasure.erase(userId, actor));
  erasure.close();
  await sleep(150);
  assert.equal(flaky.attempts, 1);
  assert.equal((await personalData.vault.keyStore.get(userId))?.state, "erasing");
});

it("an erasure refused (the user is not removed) is not tried again: its mark waits for a removal", async () => {
  const userId = await markedUser({ removed: false });
  const flaky = flakyKeys(0);
  let reads = 0;
  const keyStore = { ...flaky.keyStore, get: (subject: string) => (reads++, flaky.keyStore.get(subject)) };
  const erasure = createErasure(store, { ...personalData.vault, keyStore }, { retryFirstMs: 20 });
  try {
    await assert.rejects(erasure.erase(userId, actor), (error) => error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id);
    const readsAfterRefusal = reads;
    await sleep(150);
    assert.equal(reads, readsAfterRefusal, "tried again");
    assert.equal(flaky.attempts, 0);
    assert.equal((await personalData.vault.keyStore.get(userId))?.state, "erasing");
  } finally {
    erasure.close();
  }
});

/** The key store, down (every read and delete failing) until `up()` is called, and again after `down()`. */
function downKeys() {
  const keys = personalData.vault.keyStore;
  let down = true;
  const unreachable = () => Promise.reject(new Error("the key store is not reachable"));
  return {
    up: () => void (down = false),
    down: () => void (down = true),
    keyStore: {
      ...keys,
      get: (subject: string) => (down ? unreachable() : keys.get(subject)),
      erase: (subject: string) => (down ? unreachable() : keys.erase(subject)),
    } satisfies KeyStore,
  };
}

it("a key store that is down for a while, reads included: the attempts go on until it is back, and the system records the erasure", async () => {
  const userId = await markedUser();
  const keys = downKeys();
  const erasure = createErasure(store, { ...personalData.vault, keyStore: keys.keyStore }, { retryFirstMs: 10, retryMaxMs: 20 });
  try {
    await assert.rejects(erasure.erase(userId, actor), /not reachable/);
    await sleep(100);
    keys.up();
    await eventually(() => personalData.vault.keyStore.get(userId), (entry) => entry?.state === "erased", 5_000);
    const erased = (await store.readStream(`user-${userId}`)).filter((recorded) => recorded.type === "user.personal.data.erased");
    assert.deepEqual(
      erased.map((recorded) => recorded.metadata.editorUser),
      ["SYSTEM"],
    );
  } finally {
    erasure.close();
  }
});

it("the users tried again at once are bounded, and a user whose erasure finished makes room for the next", async () => {
  const [first, second] = [await markedUser(), await markedUser()];
  const keys = downKeys();
  const erasure = createErasure(store, { ...personalData.vault, keyStore: keys.keyStore }, { retryFirstMs: 10, retryMaxMs: 20, maxRetries: 1 });
  try {
    await assert.rejects(erasure.erase(first, actor));
    await assert.rejects(erasure.erase(second, actor));
    await sleep(50);
    keys.up();
    await eventually(() => personalData.vault.keyStore.get(first), (entry) => entry?.state === "erased", 5_000);
    // `second` found the bound taken: not tried again (the next start would finish it).
    await sleep(100);
    assert.equal((await personalData.vault.keyStore.get(second))?.state, "erasing");
    // Now there is room: its next failure is tried again.
    keys.down();
    await assert.rejects(erasure.erase(second, actor));
    keys.up();
    await eventually(() => personalData.vault.keyStore.get(second), (entry) => entry?.state === "erased", 5_000);
  } finally {
    erasure.close();
  }
});

it("at start, a user whose erasure fails on a backend does not stop the others; it is tried again by itself", async () => {
  const [failing, fine] = [await markedUser(), await markedUser()];
  const keys = personalData.vault.keyStore;
  let failures = 1;
  const keyStore = { ...keys, erase: (subject: string) => (subject === failing && failures-- > 0 ? Promise.reject(new Error("the key store is not reachable")) : keys.erase(subject)) } satisfies KeyStore;
  const erasure = createErasure(store, { ...personalData.vault, keyStore }, { retryFirstMs: 10 });
  try {
    await erasure.finishErasures(actor);
    assert.equal((await keys.get(fine))?.state, "erased");
    await eventually(() => keys.get(failing), (entry) => entry?.state === "erased", 5_000);
  } finally {
    erasure.close();
  }
});
