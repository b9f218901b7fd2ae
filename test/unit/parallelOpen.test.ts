import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import Database from "better-sqlite3";
import type { NewEvent, RecordedEvent } from "../../src/events/envelope.js";
import { ERASED } from "../../src/events/personalData.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createLogger } from "../../src/logger.js";
import { readMasterKeyFile } from "../../src/privacy/masterKey.js";
import { openPersonalData, type PersonalData } from "../../src/privacy/openPersonalData.js";
import { createParallelOpener, inPlaceOpener, type ParallelOpener } from "../../src/privacy/parallelOpen.js";
import { type ReadMode, withPersonalData } from "../../src/privacy/personalDataStore.js";
import { eventAad, SealBroken, sealFields } from "../../src/privacy/sealing.js";
import { MasterKeyMismatch, type Vault } from "../../src/privacy/vault.js";
import { subjectAad, unwrapKey, wrapKey } from "../../src/privacy/wrapping.js";

// A replay opens its sealed events in chunks, on a worker thread when one is up, which unwraps the
// chunk's keys too: what it reads must be what the one-event-at-a-time path reads, erased users,
// broken seals and keys that do not unwrap included.

const USERS = 400;
let dir: string;
let personalData: PersonalData;
const log = () => createSqliteEventStore({ path: join(dir, "events.sqlite") });

const metadata = () => ({ resourceOwner: "1", instanceId: "0", editorUser: "test", createdAt: new Date().toISOString(), correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1 });
const event = (type: string, data: object): NewEvent => ({ id: randomUUID(), type, data, metadata: metadata() });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-parallel-open-"));
  const store = log();
  personalData = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log: store, logger: createLogger("error", true) });
  const sealing = withPersonalData(store, personalData.vault);
  for (let i = 0; i < USERS; i++) {
    await sealing.append(
      `user-${i}`,
      [
        event("user.human.added", { userName: `person-${i}`, firstName: "Zoë", lastName: `Ωmega ${i}`, displayName: "Z", email: `person-${i}@example.com` }),
        event("user.human.email.verified", {}),
        event("user.human.phone.changed", { phone: `+4179${String(i).padStart(7, "0")}` }),
      ],
      { expectedRevision: "no_stream" },
    );
    if (i % 7 === 0) await sealing.append(`org-${i}`, [event("org.added", { name: `Org ${i}` })], { expectedRevision: "no_stream" });
  }
  // Every tenth user erased: its key gone, as RemoveUser leaves it.
  for (let i = 0; i < USERS; i += 10) await personalData.vault.keyStore.erase(String(i));
  await store.close();
});

after(async () => {
  await personalData.close();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh vault (cold key cache) and a replay through `parallel`, collected until it ends or fails; `after` sees the vault as the replay left it. */
async function replay(parallel: ParallelOpener, after: (vault: Vault) => void = () => {}, mode: ReadMode = "open"): Promise<{ events: RecordedEvent[]; failure?: unknown }> {
  const store = log();
  const cold = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log: store, logger: createLogger("error", true) });
  const events: RecordedEvent[] = [];
  try {
    for await (const read of withPersonalData(store, cold.vault, mode, parallel).readAll()) events.push(read);
    return { events };
  } catch (failure) {
    return { events, failure };
  } finally {
    after(cold.vault);
    await cold.close();
    await store.close();
  }
}

const inPlace = inPlaceOpener;

/** The real worker, once it answers, and how many batches it opened. */
async function startedWorker() {
  const worker = createParallelOpener();
  const many = <T>(value: T) => Array.from({ length: 64 }, () => value);
  const probe = { keys: Buffer.alloc(32), wrappingKey: undefined, wrapped: [], items: { keyIndexes: many(0), streams: many(""), types: many(""), sealed: many("") } };
  for (let tries = 0; (await worker.open(probe), worker.workerBatches() === 0); tries++) {
    assert.ok(tries < 200, "the worker thread did not start within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const started = worker.workerBatches();
  return { open: worker.open, get batches() { return worker.workerBatches() - started; } };
}

function firstPositionOf(stream: string): bigint {
  const db = new Database(join(dir, "events.sqlite"), { readonly: true });
  try {
    return BigInt(db.prepare<[string], { position: number }>("SELECT MIN(position) AS position FROM events WHERE stream = ?").get(stream)!.position);
  } finally {
    db.close();
  }
}

/** The subject's key as the key store holds it, unwrapped here. */
async function storedKey(subject: string): Promise<Buffer | undefined> {
  const entry = await personalData.vault.keyStore.get(subject);
  const { wrapping } = await readMasterKeyFile(join(dir, "master.key"));
  return entry?.state === "active" ? unwrapKey(wrapping, subjectAad(subject), entry.wrapped) : undefined;
}

it("reads the same events through the worker as in place: order, plaintext, erased users", async () => {
  const worker = await startedWorker();
  const cached: Vault["cached"][] = [];
  const [viaWorker, inline] = [await replay(worker, (vault) => cached.push(vault.cached)), await replay(inPlace, (vault) => cached.push(vault.cached))];
  assert.equal(viaWorker.failure, undefined);
  assert.ok(worker.batches > 0, "the replay used the worker");
  assert.deepEqual(viaWorker.events, inline.events);
  assert.equal(inline.events.length, USERS * 3 + Math.ceil(USERS / 7));
  const added = (user: number) => inline.events.find((read) => read.stream === `user-${user}` && read.type === "user.human.added")!.data as Record<string, unknown>;
  assert.deepEqual(added(3), { userName: "person-3", firstName: "Zoë", lastName: "Ωmega 3", displayName: "Z", email: "person-3@example.com" });
  assert.equal(added(10).email, ERASED);
  assert.equal(added(10).firstName, ERASED);
  assert.ok(!JSON.stringify(viaWorker.events.filter((read) => read.stream === "user-20").map((read) => read.data)).includes("person-20"), "nothing of an erased user comes back");
  // The keys the worker unwrapped are cached as the key store holds them, the erased ones as erased.
  for (const vaultCached of cached) {
    for (const subject of ["3", "257", String(USERS - 1)]) assert.deepEqual(vaultCached(subject), await storedKey(subject), `user ${subject}'s key`);
    assert.equal(vaultCached("10"), "erased");
  }
});

it("fails with MasterKeyMismatch where the first event of a key that does not unwrap stands, on both paths, an export's too", async () => {
  const { keyStore } = personalData.vault;
  const entry = await keyStore.get("301");
  assert.ok(entry?.state === "active");
  // The key wrapped under another master key: the key store was not written with this one.
  const foreign = wrapKey(Buffer.alloc(32, 7), subjectAad("301"), (await storedKey("301"))!);
  assert.equal(await keyStore.rewrap([{ subject: "301", from: entry.wrapped, to: foreign }]), 1);
  try {
    const worker = await startedWorker();
    for (const [parallel, mode] of [[worker, "open"], [inPlace, "open"], [worker, "redact"], [inPlace, "redact"]] as const) {
      const { events, failure } = await replay(parallel, undefined, mode);
      assert.ok(failure instanceof MasterKeyMismatch, `a MasterKeyMismatch, not ${String(failure)}`);
      assert.equal(events.at(-1)!.position, firstPositionOf("user-301") - 1n, "every event before it, none after");
    }
    assert.ok(worker.batches > 0);
  } finally {
    await keyStore.rewrap([{ subject: "301", from: foreign, to: entry.wrapped }]);
  }
});

it("stops where a broken seal stands, after handing over every event before it, on both paths", async () => {
  const db = new Database(join(dir, "events.sqlite"));
  const target = db.prepare<[], { position: number; data: string }>("SELECT position, data FROM events WHERE stream = 'user-301' AND type = 'user.human.added'").get()!;
  const broken = JSON.parse(target.data) as Record<string, string>;
  const sealed = broken.$enc!;
  broken.$enc = sealed.slice(0, -6) + (sealed.at(-6) === "A" ? "B" : "A") + sealed.slice(-5);
  db.prepare("UPDATE events SET data = ? WHERE position = ?").run(JSON.stringify(broken), target.position);
  try {
    const worker = await startedWorker();
    for (const parallel of [worker, inPlace]) {
      const { events, failure } = await replay(parallel);
      assert.ok(failure instanceof SealBroken, `a SealBroken, not ${String(failure)}`);
      assert.equal(events.at(-1)!.position, BigInt(target.position - 1), "every event before the broken one, none after");
    }
    assert.ok(worker.batches > 0);
  } finally {
    db.prepare("UPDATE events SET data = ? WHERE position = ?").run(target.data, target.position);
    db.close();
  }
});

it("opens a batch too small to be worth the trip in place", async () => {
  const worker = await startedWorker();
  const key = Buffer.alloc(32, 1);
  const sealed = sealFields(key, eventAad("user-1", "user.human.phone.changed"), { phone: "+41790000001" });
  const batch = { keys: key, wrappingKey: undefined, wrapped: [], items: { keyIndexes: [0], streams: ["user-1"], types: ["user.human.phone.changed"], sealed: [sealed] } };
  assert.deepEqual(await worker.open(batch), await inPlace.open(batch));
  assert.deepEqual(JSON.parse((await worker.open(batch)).opened), [{ phone: "+41790000001" }]);
  assert.equal(worker.batches, 0, "one value is not worth a worker");
});

it("keeps the log's order when a later chunk opens before an earlier one", async () => {
  // Chunks are out at once: the first one answered last must still come out first.
  let calls = 0;
  const outOfOrder: ParallelOpener = {
    open: async (batch) => {
      const delay = calls++ === 0 ? 100 : 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      return inPlace.open(batch);
    },
  };
  const [late, inline] = [await replay(outOfOrder), await replay(inPlace)];
  assert.ok(calls >= 3, `the replay had ${calls} chunks, the test needs three or more`);
  assert.equal(late.failure, undefined);
  assert.deepEqual(late.events, inline.events);
});

it("ends a read its consumer leaves early, with chunks still out", async () => {
  const store = log();
  const cold = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log: store, logger: createLogger("error", true) });
  try {
    let read = 0;
    for await (const event of withPersonalData(store, cold.vault, "open", inPlace).readAll()) {
      assert.ok(event.position > 0n);
      if (++read === 10) break;
    }
    assert.equal(read, 10);
    // The store is usable afterwards: nothing of the abandoned read holds it.
    assert.equal(await store.headPosition(), BigInt(USERS * 3 + Math.ceil(USERS / 7)));
  } finally {
    await cold.close();
    await store.close();
  }
});

it("reads a user's events after an erasure event as erased, though a chunk before it unwrapped the key later", async () => {
  // The key is still in the key store (an erasure that a crash interrupted): only the log's order
  // says which events are erased. The first chunk answers last, after the erasure's chunk was read.
  const own = await mkdtemp(join(tmpdir(), "idledger-erased-order-"));
  const store = createSqliteEventStore({ path: join(own, "events.sqlite") });
  const options = { dataDir: own, redisUrl: undefined, masterKeyFile: join(own, "master.key"), log: store, logger: createLogger("error", true) };
  const writing = await openPersonalData(options);
  try {
    const sealing = withPersonalData(store, writing.vault);
    const filler = async (count: number) => {
      for (let i = 0; i < count; i += 100) await sealing.append(`org-${randomUUID()}`, Array.from({ length: 100 }, () => event("org.added", { name: "Org" })), { expectedRevision: "no_stream" });
    };
    await sealing.append("user-7", [event("user.human.added", { userName: "seven", firstName: "Sev", lastName: "En", email: "seven@example.com" })], { expectedRevision: "no_stream" });
    await filler(600);
    await sealing.append("user-7", [event("user.personal.data.erased", {})], { expectedRevision: 0 });
    await filler(1500);
    await sealing.append("user-7", [event("user.human.phone.changed", { phone: "+41790000007" })], { expectedRevision: 1 });
    for (const parallel of [inPlace, await startedWorker(), delayedFirst(inPlace)]) {
      const cold = await openPersonalData(options);
      try {
        const read: RecordedEvent[] = [];
        for await (const one of withPersonalData(store, cold.vault, "open", parallel).readAll()) if (one.stream === "user-7") read.push(one);
        assert.deepEqual(read.map((one) => one.data), [{ userName: "seven", firstName: "Sev", lastName: "En", email: "seven@example.com" }, {}, { phone: ERASED }]);
        assert.equal(cold.vault.cached("7"), "erased");
      } finally {
        await cold.close();
      }
    }
  } finally {
    await writing.close();
    await store.close();
    await rm(own, { recursive: true, force: true });
  }
});

/** `parallel`, but its first batch answers only after 100 ms. */
function delayedFirst(parallel: ParallelOpener): ParallelOpener {
  let first = true;
  return {
    async open(batch) {
      if (first) await new Promise((resolve) => setTimeout(resolve, 100));
      first = false;
      return parallel.open(batch);
    },
  };
}
