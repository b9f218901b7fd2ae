import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { NewEvent, RecordedEvent } from "../../src/events/envelope.js";
import { InvalidEvent } from "../../src/events/errors.js";
import { createSqliteEventStore, type SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";

// A log written before the PAT event took ZITADEL's name (`user.pat.added`).
const oldPatAdded: NewEvent = {
  id: "7b0c2f4e-8a55-4b4e-9d7a-3c1f0e2d6a90",
  type: "user.personal.access.token.added",
  data: { tokenId: "t1", expiration: "9999-12-31T23:59:59.000Z", scopes: ["openid"], tokenHash: `sha256:${"ab".repeat(32)}` },
  metadata: { resourceOwner: "o", instanceId: "i", editorUser: "u", createdAt: "2026-01-01T00:00:00Z", correlationId: "c", causationId: "c", schemaVersion: 1 },
};

let dir = "";
let raw: SqliteEventStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-renames-"));
  raw = createSqliteEventStore({ path: join(dir, "events.db") });
  await raw.append("user-1", [oldPatAdded], { expectedRevision: "no_stream" });
});
after(async () => {
  await raw.close();
  await rm(dir, { recursive: true, force: true });
});

it("reads an event written under a former type name as the current one, on every read path", async () => {
  const store = withEventSchemas(raw);
  assert.deepEqual((await store.readStream("user-1")).map((e) => e.type), ["user.pat.added"]);
  const all: string[] = [];
  for await (const event of store.readAll()) all.push(event.type);
  assert.deepEqual(all, ["user.pat.added"]);

  const seenByFilter: string[] = [];
  const subscription = store.subscribe({ filter: (event: RecordedEvent) => (seenByFilter.push(event.type), event.type === "user.pat.added") });
  for await (const event of subscription) {
    assert.equal(event.type, "user.pat.added");
    break;
  }
  await subscription.close();
  assert.deepEqual(seenByFilter, ["user.pat.added"], "a subscription's filter sees the current name too");
});

it("never appends under a former name", async () => {
  await assert.rejects(async () => withEventSchemas(raw).append("user-2", [{ ...oldPatAdded, id: "0e6c1c7a-52d1-4c55-8f43-1b9b7f6d2e11" }], { expectedRevision: "no_stream" }), InvalidEvent);
});
