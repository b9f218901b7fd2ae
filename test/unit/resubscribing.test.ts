import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { EventStoreUnavailable } from "../../src/events/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { resubscribing } from "../../src/events/resubscribing.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "../contract/eventStore.js";

it("carries on after the store drops the subscription: every event once, in order, the drop unseen", async () => {
  const dir = await mkdtemp(join(tmpdir(), "idledger-resubscribe-"));
  const store = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  for (let i = 0; i < 6; i++) await store.append(`s-${i}`, [newEvent()], { expectedRevision: "no_stream" });
  // The store drops the first two subscriptions after two events each, as a restarting server would.
  let drops = 0;
  const flaky: EventStore = {
    ...store,
    subscribe(options) {
      const inner = store.subscribe(options);
      const dropAfter = drops++ < 2 ? 2 : Infinity;
      return {
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const event of inner) {
            if (n++ === dropAfter) throw new EventStoreUnavailable("server restarted");
            yield event;
          }
        },
        close: () => inner.close(),
      };
    },
  };
  const seen: bigint[] = [];
  const subscription = resubscribing(flaky, 0n, { maxBackoffMs: 10 });
  for await (const event of subscription) {
    seen.push(event.position);
    if (seen.length === 6) break;
  }
  await subscription.close();
  const all: bigint[] = [];
  for await (const event of store.readAll()) all.push(event.position);
  assert.deepEqual(seen, all);
  assert.equal(drops, 3);
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

it("ends with any other error", async () => {
  const failing = {
    subscribe: () => ({
      async *[Symbol.asyncIterator]() {
        throw new Error("a bug");
      },
      close: async () => {},
    }),
  } as unknown as EventStore;
  await assert.rejects(async () => {
    for await (const _ of resubscribing(failing, 0n)) assert.fail("no event expected");
  }, /a bug/);
});
