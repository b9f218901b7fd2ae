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
import { DomainError } from "../../src/errors.js";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { listParked } from "../../src/projections/failedEvents.js";
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

describe("projector: events it cannot apply", () => {
  const human = newEvent("user.human.added", { userName: "alice", firstName: "A", lastName: "L", email: "a@example.com" });
  const machineChange = newEvent("user.machine.changed", { name: "not for a human" });

  async function projectAll(readModel: ReadModel, options: { maxAttempts?: number; onParked?: (event: RecordedEvent, error: unknown) => void } = {}) {
    const projector = startProjector({ store, readModel, reducers, now: () => new Date("2026-02-03T04:05:06.000Z"), ...options });
    try {
      assert.ok(await projector.waitFor(await store.headPosition(), 8000), "the projection reached the head");
    } finally {
      await projector.stop();
    }
  }

  it("parks an event the reducers refuse after bounded tries, records it, and projects the rest", { timeout: 10_000 }, async () => {
    await store.append("user-1", [human, machineChange], { expectedRevision: "no_stream" });
    await store.append("user-2", [newEvent("user.machine.added", { userName: "robot", name: "Robot" })], { expectedRevision: "no_stream" });
    const readModel = createMemoryReadModel();
    const parked: string[] = [];
    await projectAll(readModel, { maxAttempts: 3, onParked: (event) => parked.push(event.id) });

    assert.deepEqual(parked, [machineChange.id]);
    assert.equal((await readModel.get<{ userName: string }>(collections.users, "2"))?.userName, "robot", "the projection went on");
    assert.equal((await readModel.get<{ details: { sequence: number } }>(collections.users, "1"))?.details.sequence, 1, "the refused event changed nothing");
    const [record, ...more] = await listParked(readModel);
    assert.deepEqual(more, []);
    assert.deepEqual(record, {
      position: "2",
      eventId: machineChange.id,
      type: "user.machine.changed",
      stream: "user-1",
      revision: 1,
      error: "EventNotApplicable: user.machine.changed cannot be applied: the user is not a machine",
      attempts: 3,
      failedAt: "2026-02-03T04:05:06.000Z",
    });
  });

  it("parks a long run of refused events without stalling: each is tried in place, not by starting the batch over", { timeout: 10_000 }, async () => {
    const refused = Array.from({ length: 300 }, () => newEvent("user.machine.changed", { name: "of nobody" }));
    await store.append("user-nobody", refused, { expectedRevision: "no_stream" });
    await store.append("user-after", [newEvent("user.machine.added", { userName: "after", name: "After" })], { expectedRevision: "no_stream" });
    const readModel = createMemoryReadModel();
    const parked: string[] = [];
    await projectAll(readModel, { maxAttempts: 3, onParked: (event) => parked.push(event.id) });

    assert.deepEqual(parked.slice(-300), refused.map((event) => event.id));
    assert.equal((await readModel.get<{ userName: string }>(collections.users, "after"))?.userName, "after");
  });

  it("never parks an event because the read model failed to read: that is retried until it passes", { timeout: 10_000 }, async () => {
    await store.append("user-1", [newEvent("user.machine.added", { userName: "robot", name: "Robot" }), newEvent("user.machine.changed", { name: "Renamed" })], {
      expectedRevision: "no_stream",
    });
    const memory = createMemoryReadModel();
    let failingReads = 5;
    const flaky: ReadModel = {
      ...memory,
      async get(collection, id) {
        if (failingReads-- > 0) throw new DomainError("unavailable");
        return memory.get(collection, id);
      },
    };
    await projectAll(flaky, { maxAttempts: 2 });

    assert.deepEqual(await listParked(memory), []);
    assert.equal((await memory.get<{ machine: { name: string } }>(collections.users, "1"))?.machine.name, "Renamed");
  });
});
