import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { NewEvent } from "../../src/events/envelope.js";
import { InvalidEvent } from "../../src/events/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";

let dir: string;
let log: EventStore;
let store: EventStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-schemas-"));
  log = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  store = withEventSchemas(log);
});
after(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const changed = (name: unknown): NewEvent => ({
  id: randomUUID(),
  type: "user.machine.changed",
  data: { name } as never,
  metadata: { resourceOwner: "o", instanceId: "i", editorUser: "e", createdAt: "2026-01-01T00:00:00.000Z", correlationId: "c", causationId: "c", schemaVersion: 1 },
});

it("refuses an invalid event on append, and reads back its own valid appends as appended", async () => {
  await assert.rejects(store.append("user-a", [changed(5)], { expectedRevision: "any" }), InvalidEvent);
  const event = changed("valid");
  await store.append("user-a", [event], { expectedRevision: "any" });
  const [read] = await store.readStream("user-a");
  assert.deepEqual(read!.data, { name: "valid" });
});

it("still validates on read what it did not append itself (another writer of the same log)", async () => {
  await log.append("user-b", [changed(5)], { expectedRevision: "any" });
  await assert.rejects(store.readStream("user-b"), InvalidEvent);
  const subscription = store.subscribe();
  await assert.rejects(
    (async () => {
      for await (const _event of subscription) continue;
    })(),
    InvalidEvent,
  );
  await subscription.close();
});
