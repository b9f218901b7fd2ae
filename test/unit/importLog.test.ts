import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { appendWeight, MAX_APPEND_BYTES } from "../../src/cli/appendSize.js";
import { boundedLines, LineTooLong } from "../../src/cli/boundedLines.js";
import { claims, ImportFailed, importLog } from "../../src/cli/importLog.js";
import type { NewEvent, RecordedEvent } from "../../src/events/envelope.js";
import { toEventData } from "../../src/events/esdb/envelope.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore, type SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "../contract/eventStore.js";

let dir: string;
let store: SqliteEventStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-import-"));
  store = createSqliteEventStore({ path: join(dir, "events.sqlite") });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A log as an export holds it: streams of `perStream` events with `description`s of `bytes` bytes. */
function exported(streams: number, perStream: number, bytes = 10): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let s = 0; s < streams; s++) {
    for (let revision = 0; revision < perStream; revision++) {
      const event = revision === 0 ? newEvent("user.machine.added", { userName: `user-${s}`, name: "N" }) : newEvent("user.machine.changed", { description: "x".repeat(bytes) });
      events.push({ ...event, stream: `user-${s}`, revision, position: BigInt(events.length + 1) });
    }
  }
  return events;
}

async function* each<T>(items: readonly T[]) {
  yield* items;
}

/** The store, each append measured as EventStoreDB would count it; `failAt` (1-based) fails that append. */
function observed(inner: EventStore, failAt?: number) {
  const appends: number[] = [];
  const observing: EventStore = {
    ...inner,
    async append(stream, events, options) {
      appends.push(events.reduce((sum, event, i) => sum + appendWeight(event, i === 0 ? (options.uniqueConstraints ?? []) : [], 0), 0));
      if (appends.length === failAt) throw new Error("disk full (injected)");
      return inner.append(stream, events, options);
    },
  };
  return { store: observing, appends };
}

const idsOf = async (of: EventStore) => {
  const ids: string[] = [];
  for await (const event of of.readAll()) ids.push(event.id);
  return ids;
};

describe("importLog", () => {
  it("keeps every append under EventStoreDB's 1 MiB, counting data, metadata, type and the claims riding in the first event", async () => {
    const events = exported(2, 30, 100_000);
    const { store: observing, appends } = observed(store);
    assert.equal(await importLog(observing, each(events)), events.length);

    assert.ok(appends.length >= 6, `${appends.length} appends`);
    for (const bytes of appends) assert.ok(bytes <= MAX_APPEND_BYTES, `an append of ${bytes} bytes`);
    assert.deepEqual(await idsOf(store), events.map(({ id }) => id));
  });

  it("a failure half-way says how much was appended, and the same import again with force resumes it: every event once, each stream in order", async () => {
    const events = exported(40, 3);
    const { store: failing } = observed(store, 7);
    await assert.rejects(importLog(failing, each(events)), (error: unknown) => {
      assert.ok(error instanceof ImportFailed);
      assert.match(error.message, /disk full \(injected\); \d+ events were appended .* run the same import again with --force to resume/i);
      return true;
    });
    assert.ok((await store.headPosition()) > 0n, "the appends before the failure stand");

    assert.equal(await importLog(store, each(events), { force: true }), events.length);
    // Appends in flight when one failed may have landed after it: streams keep their order, the log's interleaving may differ.
    const imported = await idsOf(store);
    assert.deepEqual([...imported].sort(), events.map(({ id }) => id).sort(), "each event once");
    for (let s = 0; s < 40; s++) {
      const stream = (await store.readStream(`user-${s}`)).map(({ id }) => id);
      assert.deepEqual(stream, events.filter((event) => event.stream === `user-${s}`).map(({ id }) => id));
    }
  });
});

describe("append weight", () => {
  it("is exactly what EventStoreDB counts: data, metadata with the claims in the first event, the type as UTF-16 (Event.SizeOnDisk)", () => {
    const events: NewEvent[] = [newEvent("user.machine.added", { userName: "Ünïcode-Robot", name: "N" }), newEvent("user.machine.changed", { description: "d" })];
    const eventClaims = events.flatMap((event, i) => claims({ ...event, stream: "user-1", revision: i, position: BigInt(i + 1) }));
    assert.equal(eventClaims.length, 1);
    const exact = events
      .map((event, i) => toEventData(event, i === 0 ? eventClaims : undefined))
      .reduce((sum, data) => sum + Buffer.byteLength(JSON.stringify(data.data)) + Buffer.byteLength(JSON.stringify(data.metadata)) + data.type.length * 2, 0);
    assert.equal(appendWeight(events[0]!, eventClaims, 0) + appendWeight(events[1]!, [], 1), exact);
  });
});

describe("boundedLines", () => {
  async function* chunks(...parts: string[]) {
    for (const part of parts) yield Buffer.from(part);
  }
  const all = async (lines: AsyncIterable<string>) => {
    const found: string[] = [];
    for await (const line of lines) found.push(line);
    return found;
  };

  it("splits LF and CRLF lines across chunk boundaries, multi-byte characters included", async () => {
    const euro = Buffer.from("€");
    async function* split() {
      yield Buffer.from("one\r");
      yield Buffer.concat([Buffer.from("\ntw"), euro.subarray(0, 1)]);
      yield Buffer.concat([euro.subarray(1), Buffer.from("o\n\nlast")]);
    }
    assert.deepEqual(await all(boundedLines(split(), 100)), ["one", "tw€o", "", "last"]);
  });

  it("refuses a line longer than the bound as soon as it has seen that much of it", async () => {
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced++;
        yield Buffer.alloc(1024, "x");
      }
    }
    await assert.rejects(all(boundedLines(chunks("ok\n"), 10)).then(() => all(boundedLines(endless(), 4096))), (error: unknown) => {
      assert.ok(error instanceof LineTooLong);
      assert.equal(error.message, "line 1: longer than 4096 bytes");
      return true;
    });
    assert.ok(produced <= 5, `read ${produced} KiB of one line`);
  });
});

