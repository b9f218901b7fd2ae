import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createSqliteEventStore, type SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { startProjector } from "../../src/projections/projector.js";
import type { ReadModel } from "../../src/projections/readModel.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { collections } from "../../src/projections/views.js";
import { newEvent } from "../contract/eventStore.js";

let dir: string;
let store: SqliteEventStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-projector-"));
  store = createSqliteEventStore({ path: join(dir, "events.sqlite") });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The memory read model, its commits held until `release()`: a slow backend, injected. */
function heldCommits(readModel: ReadModel) {
  let entered = () => {};
  const committing = new Promise<void>((resolve) => (entered = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    committing,
    release,
    readModel: {
      ...readModel,
      async commit(writes, checkpoint) {
        entered();
        await released;
        return readModel.commit(writes, checkpoint);
      },
    } satisfies ReadModel,
  };
}

describe("projector", () => {
  it("a stop that arrives during the last catch-up commit stops it: nothing is projected afterwards", { timeout: 10_000 }, async () => {
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    const memory = createMemoryReadModel();
    const held = heldCommits(memory);
    const projector = startProjector({ store, readModel: held.readModel, reducers });
    await held.committing;
    const stopped = projector.stop();
    held.release();
    await stopped;

    await store.append("user-2", [newEvent("user.machine.added", { userName: "after-stop", name: "After" })], { expectedRevision: "no_stream" });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await memory.get(collections.users, "2"), undefined, "a stopped projector projects nothing");
  });
});
