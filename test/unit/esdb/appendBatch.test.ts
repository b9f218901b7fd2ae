import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { importLog } from "../../../src/cli/importLog.js";
import { migrate } from "../../../src/cli/migrate.js";
import type { RecordedEvent } from "../../../src/events/envelope.js";
import { createSqliteEventStore } from "../../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "../../contract/eventStore.js";
import { collect, setup } from "./helpers.js";

// 40 events of 50 KiB in one stream: 2 MiB, twice what EventStoreDB takes in one append.
const heavy = () => Array.from({ length: 40 }, (_, i) => newEvent("user.machine.changed", { description: `${i}`.padEnd(50 * 1024, "x") }));

describe("import and migrate into EventStoreDB: appends cut by bytes", () => {
  let dir = "";
  before(async () => (dir = await mkdtemp(join(tmpdir(), "idledger-batches-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("migrate copies a stream larger than one append in appends the server takes", async () => {
    const source = createSqliteEventStore({ path: join(dir, "source.sqlite") });
    const { store: target, client } = setup();
    try {
      const { events } = await source.append("user-1", heavy(), { expectedRevision: "no_stream" });
      const report = await migrate(source, target);
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.deepEqual((await target.readStream("user-1")).map(({ id }) => id), events.map(({ id }) => id));
      assert.ok(client.deadlines.filter((call) => call.stream === "user-1").length >= 2, "more than one append");
    } finally {
      await source.close();
      await target.close();
    }
  });

  it("import does the same", async () => {
    const { store } = setup();
    const events: RecordedEvent[] = heavy().map((event, revision) => ({ ...event, stream: "user-1", revision, position: BigInt(revision + 1) }));
    async function* file() {
      yield* events;
    }
    assert.equal(await importLog(store, file()), events.length);
    assert.deepEqual((await collect(store.readAll())).map(({ id }) => id), events.map(({ id }) => id));
  });
});
