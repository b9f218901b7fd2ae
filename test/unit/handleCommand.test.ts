import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { handleCommand, type CommandContext } from "../../src/commands/handleCommand.js";
import { userDecider } from "../../src/commands/user/decider.js";
import { WrongExpectedRevision } from "../../src/events/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";

let dir: string;
let store: EventStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-handle-"));
  store = withEventSchemas(createSqliteEventStore({ path: join(dir, "events.sqlite") }));
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const context: CommandContext = { instanceId: "i", editorUser: "editor", correlationId: "c", now: () => new Date("2026-01-01T00:00:00Z") };
const owner = () => "org-1";

/** The same store, but another process writes to `stream` right after each of the first `times` reads. */
function withInterference(stream: string, times: number): EventStore {
  let remaining = times;
  return {
    ...store,
    async readStream(name, options) {
      const events = await store.readStream(name, options);
      const last = events.at(-1);
      if (name === stream && last && remaining-- > 0) {
        await store.append(stream, [{ id: randomUUID(), type: "user.machine.changed", data: { name: `other ${remaining}` }, metadata: last.metadata }], {
          expectedRevision: last.revision,
        });
      }
      return events;
    },
  };
}

it("stamps the envelope and returns the stream's first event", async () => {
  const { appended, first } = await handleCommand(store, userDecider, "user-stamp", { type: "AddMachineUser", userName: "stamp", name: "S", description: "", accessTokenType: 0 }, owner, context);
  assert.equal(appended.length, 1);
  assert.equal(first.id, appended[0]!.id);
  assert.deepEqual({ ...appended[0]!.metadata }, {
    resourceOwner: "org-1",
    instanceId: "i",
    editorUser: "editor",
    createdAt: "2026-01-01T00:00:00.000Z",
    correlationId: "c",
    causationId: "c",
    schemaVersion: 1,
  });
});

it("retries the whole load-decide-append when another writer got in between", async () => {
  const stream = "user-raced";
  await handleCommand(store, userDecider, stream, { type: "AddMachineUser", userName: "raced", name: "R", description: "", accessTokenType: 0 }, owner, context);
  const result = await handleCommand(withInterference(stream, 3), userDecider, stream, { type: "ChangeMachine", resourceOwner: "org-1", name: "mine", description: "", accessTokenType: 0 }, owner, context);
  const events = await store.readStream(stream);
  assert.equal(events.length, 5, "three interfering changes and ours, none lost");
  assert.equal(result.appended[0]!.revision, 4);
  assert.deepEqual(events.at(-1)!.data, { name: "mine" });
});

it("gives up after a bounded number of conflicts instead of spinning", async () => {
  const stream = "user-hopeless";
  await handleCommand(store, userDecider, stream, { type: "AddMachineUser", userName: "hopeless", name: "H", description: "", accessTokenType: 0 }, owner, context);
  await assert.rejects(
    handleCommand(withInterference(stream, 1000), userDecider, stream, { type: "ChangeMachine", resourceOwner: "org-1", name: "never", description: "", accessTokenType: 0 }, owner, context),
    WrongExpectedRevision,
  );
});

it("decides a new stream without reading it, and reads it on the retry when it existed after all", async () => {
  const stream = "user-not-new";
  let reads = 0;
  const counting: EventStore = { ...store, readStream: (name, options) => (reads++, store.readStream(name, options)) };
  const add = (userName: string) => ({ type: "AddMachineUser", userName, name: "N", description: "", accessTokenType: 0 }) as const;
  await handleCommand(counting, userDecider, stream, add("fresh"), owner, { ...context, newStream: true });
  assert.equal(reads, 0);
  // The same stream again: the first attempt's append expects no stream and conflicts; the retry
  // reads the stream and the decider refuses, as it would have without the hint.
  const withoutHint = await handleCommand(counting, userDecider, stream, add("fresh"), owner, context).catch((error: unknown) => error);
  reads = 0;
  const withHint = await handleCommand(counting, userDecider, stream, add("fresh"), owner, { ...context, newStream: true }).catch((error: unknown) => error);
  assert.equal(reads, 1);
  assert.ok(withoutHint instanceof Error);
  assert.deepEqual(withHint, withoutHint);
  assert.equal((await store.readStream(stream)).length, 1);
});
