import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { EventStoreUnavailable, UniqueConstraintViolation, WrongExpectedRevision } from "../../src/events/errors.js";
import { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent, testEventStore } from "./eventStore.js";

// Both ways of committing: on the calling thread, and on the writer thread (started and ready
// before the first test, so that no batch is committed in place while it starts).
const modes = [
  { mode: "in place", writerThread: false },
  { mode: "writer thread", writerThread: true },
] as const;

for (const { mode, writerThread } of modes) testEventStore(`sqlite, ${mode}`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "idledger-contract-"));
  const store = await opened({ path: join(dir, "events.db"), writerThread });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

async function opened(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
  const store = createSqliteEventStore(options);
  assert.equal(await store.writerReady(), options.writerThread === true, "the writer thread is up exactly when asked for");
  return store;
}

for (const { mode, writerThread } of modes) describe(`sqlite event store, ${mode}`, () => {
  let dir = "";
  before(async () => (dir = await mkdtemp(join(tmpdir(), "idledger-sqlite-"))));
  after(() => rm(dir, { recursive: true, force: true }));
  const freshPath = () => join(dir, `${randomUUID()}.db`);
  const openStore = (options: SqliteEventStoreOptions) => opened({ ...options, writerThread });

  it("starts empty: head position 0n, nothing to read", async () => {
    const store = await openStore({ path: freshPath() });
    assert.equal(await store.headPosition(), 0n);
    assert.equal((await collect(store.readAll())).length, 0);
    await store.close();
  });

  it("keeps events and unique values across close and reopen; positions carry on", async () => {
    const path = freshPath();
    const taken = { action: "add", name: "usernames", value: "alice" } as const;
    const first = await openStore({ path });
    const { events } = await first.append("user-1", [newEvent(), newEvent()], {
      expectedRevision: "no_stream",
      uniqueConstraints: [taken],
    });
    await first.close();

    const reopened = await openStore({ path });
    assert.deepEqual(await reopened.readStream("user-1"), events);
    await assert.rejects(
      reopened.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] }),
      UniqueConstraintViolation,
    );
    const { events: later } = await reopened.append("user-1", [newEvent()], { expectedRevision: 1 });
    assert.ok((later[0]?.position ?? 0n) > (events[1]?.position ?? 0n));
    await reopened.close();
  });

  it("commits appends made in the same tick as one transaction", async () => {
    const store = await openStore({ path: freshPath() });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(`user-${i}`, [newEvent()], { expectedRevision: "no_stream" })),
    );
    assert.deepEqual(store.stats(), { appends: 50, transactions: 1 });
    await store.close();
  });

  it("in one batch, a failing append rejects alone and later appends see earlier ones", async () => {
    const store = await openStore({ path: freshPath() });
    const taken = { action: "add", name: "usernames", value: "bob" } as const;
    const free = { ...taken, value: "carol" };
    await store.append("owner", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] });
    const before = store.stats();

    const [created, raced, followed, claimed, unrelated] = await Promise.allSettled([
      store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }),
      store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }),
      store.append("user-1", [newEvent()], { expectedRevision: 0 }),
      store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free, taken] }),
      store.append("user-3", [newEvent()], { expectedRevision: "no_stream" }),
    ]);

    assert.equal(store.stats().transactions, before.transactions + 1);
    assert.equal(created?.status, "fulfilled");
    assert.ok(raced?.status === "rejected" && raced.reason instanceof WrongExpectedRevision);
    assert.equal(followed?.status, "fulfilled");
    assert.ok(claimed?.status === "rejected" && claimed.reason instanceof UniqueConstraintViolation);
    assert.equal(unrelated?.status, "fulfilled");
    assert.equal((await store.readStream("user-1")).length, 2);
    assert.deepEqual(await store.readStream("user-2"), []);
    await store.append("user-4", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free] });
    await store.close();
  });

  // EventStoreDB only recognises a retry at the same place; this store also refuses an id reused anywhere.
  it("refuses an event id already in the log elsewhere or out of order", async () => {
    const store = await openStore({ path: freshPath() });
    const [first, second] = [newEvent(), newEvent()];
    await store.append("user-1", [first, second], { expectedRevision: "no_stream" });

    await assert.rejects(store.append("user-2", [first], { expectedRevision: "any" }), WrongExpectedRevision);
    await assert.rejects(store.append("user-1", [second, first], { expectedRevision: "any" }), WrongExpectedRevision);
    await assert.rejects(store.append("user-1", [newEvent(), first], { expectedRevision: 1 }), WrongExpectedRevision);
    assert.equal((await store.readStream("user-1")).length, 2);
    assert.deepEqual(await store.readStream("user-2"), []);
    await store.close();
  });

  it("reads the log page by page past the page size", async () => {
    const store = await openStore({ path: freshPath() });
    const { events } = await store.append("big", Array.from({ length: 1_234 }, () => newEvent()), {
      expectedRevision: "no_stream",
    });
    assert.deepEqual(await collect(store.readAll()), events);
    assert.deepEqual(await collect(store.readAll({ from: 100n, maxCount: 700 })), events.slice(100, 800));
    await store.close();
  });

  it("close commits the batch in flight; appends after close are refused", async () => {
    const path = freshPath();
    const store = await openStore({ path });
    const pending = store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    await store.close();
    const { events } = await pending;
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: 0 }), EventStoreUnavailable);

    const reopened = await openStore({ path });
    assert.deepEqual(await reopened.readStream("user-1"), events);
    await reopened.close();
  });

  // The writer thread may still be starting (its first append commits in place): close waits for it either way.
  it("a store closed right after its first append keeps the append and lets the process go on", async () => {
    for (let round = 0; round < 10; round++) {
      const path = freshPath();
      const store = createSqliteEventStore({ path, writerThread });
      const pending = store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
      if (round % 2 === 1) await new Promise((resolve) => setTimeout(resolve, round * 10));
      await store.close();
      const { events } = await pending;
      const reopened = await openStore({ path });
      assert.deepEqual(await reopened.readStream("user-1"), events);
      await reopened.close();
    }
  });

  it("reports a file locked by another process as unavailable, then recovers", async () => {
    const path = freshPath();
    const store = await openStore({ path, busyTimeoutMs: 50 });
    const intruder = new Database(path);
    intruder.exec("BEGIN IMMEDIATE");

    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), EventStoreUnavailable);
    intruder.exec("ROLLBACK");
    intruder.close();
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    await store.close();
  });

  it("an append acknowledged before kill -9 survives", { timeout: 15_000 }, async () => {
    const path = freshPath();
    const acknowledged = await appendUntilKilled(path, 100, writerThread);

    const store = await openStore({ path });
    for (const [stream, revision] of acknowledged) {
      assert.ok((await store.readStream(stream)).length > revision, `${stream}@${revision} was lost`);
    }
    await store.close();
  });
});

// A child process appends with 5 writers and prints "ok <stream> <revision>" once each append is
// acknowledged; after `acks` of them it gets SIGKILL. Returns the highest revision acked per stream.
async function appendUntilKilled(path: string, acks: number, writerThread: boolean): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", crashingWriter], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: { ...process.env, DB_PATH: path, WRITER_THREAD: String(writerThread), STORE_MODULE: new URL("../../src/events/sqlite/sqliteEventStore.ts", import.meta.url).href },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const acknowledged = new Map<string, number>();
  let count = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [ok, stream, revision] = line.split(" ");
    if (ok !== "ok" || stream === undefined) continue;
    acknowledged.set(stream, Number(revision));
    if (++count === acks) break;
  }
  child.kill("SIGKILL");
  assert.equal(await exited, null, "the child must die by the signal, not exit");
  assert.equal(count, acks, "the child stopped before acknowledging enough appends");
  return acknowledged;
}

const crashingWriter = `
const { createSqliteEventStore } = await import(process.env.STORE_MODULE);
const store = createSqliteEventStore({ path: process.env.DB_PATH, writerThread: process.env.WRITER_THREAD === "true" });
if (await store.writerReady() !== (process.env.WRITER_THREAD === "true")) throw new Error("writer thread not as asked");
const metadata = { resourceOwner: "o", instanceId: "i", editorUser: "u", createdAt: new Date().toISOString(),
  correlationId: "c", causationId: "c", schemaVersion: 1 };
await Promise.all([0, 1, 2, 3, 4].map(async (writer) => {
  for (let revision = 0; ; revision++) {
    const event = { id: crypto.randomUUID(), type: "crash.test", data: { revision }, metadata };
    await store.append("crash-" + writer, [event], { expectedRevision: revision === 0 ? "no_stream" : revision - 1 });
    process.stdout.write("ok crash-" + writer + " " + revision + "\\n");
  }
}));
`;


async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of items) seen.push(item);
  return seen;
}
