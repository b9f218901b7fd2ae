import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { createAuditLog } from "../../src/audit/auditLog.js";
import { DomainError } from "../../src/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { newEvent } from "../contract/eventStore.js";

// ListUserChanges reads (and opens) only the page it answers: a user's history has no length limit.

const HISTORY = 200;
let dir: string;
let log: EventStore;
let read = 0;
let audit: ReturnType<typeof createAuditLog>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-user-changes-"));
  log = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  await log.append("user-7", [newEvent(), ...Array.from({ length: HISTORY - 1 }, () => newEvent("user.machine.changed", { name: "again" }))], { expectedRevision: "no_stream" });
  const counting: EventStore = {
    ...log,
    async readStream(stream, options) {
      const events = await log.readStream(stream, options);
      read += events.length;
      return events;
    },
  };
  audit = createAuditLog({ store: counting, readModel: createMemoryReadModel() });
});

after(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const revisions = async (query: { sequence: number; limit: number; asc: boolean }) => {
  read = 0;
  const page = await audit.userChanges("7", "org-1", query);
  return { revisions: page.map((entry) => entry.event.revision), read };
};

it("a page oldest or newest first, after a sequence or not, reads no more of the history than the page and its first event", async () => {
  assert.deepEqual(await revisions({ sequence: 0, limit: 3, asc: true }), { revisions: [0, 1, 2], read: 4 });
  assert.deepEqual(await revisions({ sequence: 0, limit: 3, asc: false }), { revisions: [199, 198, 197], read: 4 });
  assert.deepEqual(await revisions({ sequence: 197, limit: 10, asc: true }), { revisions: [197, 198, 199], read: 4 });
  assert.deepEqual((await revisions({ sequence: 197, limit: 10, asc: false })).revisions, [199, 198, 197]);
  await assert.rejects(audit.userChanges("7", "org-1", { sequence: HISTORY, limit: 10, asc: true }), (error) => error instanceof DomainError && error.category === "NotFound");
  await assert.rejects(audit.userChanges("7", "org-2", { sequence: 0, limit: 10, asc: true }), (error) => error instanceof DomainError && error.category === "NotFound");
});
