import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { ownHead } from "../../src/events/ownHead.js";
import { createSqliteEventStore, type SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "../contract/eventStore.js";
import { eventually } from "../support/eventually.js";

let dir = "";
const stores: SqliteEventStore[] = [];
before(async () => (dir = await mkdtemp(join(tmpdir(), "idledger-ownhead-"))));
after(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await rm(dir, { recursive: true, force: true });
});

it("counts this process's appends at once and another writer's (the CLI) within a poll, which also lets subscriptions read them", async () => {
  const path = join(dir, "events.db");
  const service = createSqliteEventStore({ path });
  const cli = createSqliteEventStore({ path });
  stores.push(service, cli);
  const head = await ownHead(service, 20);
  try {
    assert.equal(head.position(), 0n);
    await head.store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    assert.equal(head.position(), 1n, "an own append counts before the answer goes out");

    const seen: bigint[] = [];
    const subscription = service.subscribe();
    const following = (async () => {
      for await (const event of subscription) seen.push(event.position);
    })();
    await eventually(() => seen.length, (n) => n === 1);
    await cli.append("user-2", [newEvent()], { expectedRevision: "no_stream" });
    await eventually(() => head.position(), (position) => position === 2n, 2000);
    await eventually(() => seen.at(-1), (position) => position === 2n, 2000);
    await subscription.close();
    await following;
  } finally {
    head.stop();
  }
});
