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
import { openPersonalData, type PersonalData } from "../../src/privacy/openPersonalData.js";
import { createParallelOpener, type ParallelOpener } from "../../src/privacy/parallelOpen.js";
import { withPersonalData } from "../../src/privacy/personalDataStore.js";
import { SealBroken } from "../../src/privacy/sealing.js";

// A replay opens its sealed events in chunks, on a worker thread when one is up: what it reads must
// be what the one-event-at-a-time path reads, erased users and broken seals included.

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

/** A fresh vault (cold key cache) and a replay through `parallel`, collected until it ends or fails. */
async function replay(parallel: ParallelOpener): Promise<{ events: RecordedEvent[]; failure?: unknown }> {
  const store = log();
  const cold = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log: store, logger: createLogger("error", true) });
  const events: RecordedEvent[] = [];
  try {
    for await (const read of withPersonalData(store, cold.vault, "open", parallel).readAll()) events.push(read);
    return { events };
  } catch (failure) {
    return { events, failure };
  } finally {
    await cold.close();
    await store.close();
  }
}

const inPlace: ParallelOpener = { open: async () => undefined };

/** The real worker, once it answers, and how many batches it opened. */
async function startedWorker() {
  const worker = createParallelOpener();
  const probe = Array.from({ length: 64 }, () => [0, "", ""] as const);
  for (let tries = 0; !(await worker.open([Buffer.alloc(32)], probe)); tries++) {
    assert.ok(tries < 200, "the worker thread did not start within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const counting = { batches: 0, open: async (...args: Parameters<ParallelOpener["open"]>) => {
    const opened = await worker.open(...args);
    if (opened) counting.batches++;
    return opened;
  } };
  return counting;
}

it("reads the same events through the worker as in place: order, plaintext, erased users", async () => {
  const worker = await startedWorker();
  const [viaWorker, inline] = [await replay(worker), await replay(inPlace)];
  assert.equal(viaWorker.failure, undefined);
  assert.ok(worker.batches > 0, "the replay used the worker");
  assert.deepEqual(viaWorker.events, inline.events);
  assert.equal(inline.events.length, USERS * 3 + Math.ceil(USERS / 7));
  const added = (user: number) => inline.events.find((read) => read.stream === `user-${user}` && read.type === "user.human.added")!.data as Record<string, unknown>;
  assert.deepEqual(added(3), { userName: "person-3", firstName: "Zoë", lastName: "Ωmega 3", displayName: "Z", email: "person-3@example.com" });
  assert.equal(added(10).email, ERASED);
  assert.equal(added(10).firstName, ERASED);
  assert.ok(!JSON.stringify(viaWorker.events.filter((read) => read.stream === "user-20").map((read) => read.data)).includes("person-20"), "nothing of an erased user comes back");
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

it("answers nothing for a batch too small to be worth the trip: the caller opens it in place", async () => {
  const worker = createParallelOpener();
  assert.equal(await worker.open([Buffer.alloc(32)], [[0, "", ""]]), undefined, "one value is not worth a worker");
});

it("keeps the log's order when a later chunk opens before an earlier one", async () => {
  // Chunks are out at once: the first one answered last must still come out first.
  let calls = 0;
  const outOfOrder: ParallelOpener = {
    open: async () => {
      const delay = calls++ === 0 ? 100 : 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      return undefined;
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
