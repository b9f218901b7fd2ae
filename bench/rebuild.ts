import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { NewEvent } from "../src/events/envelope.js";
import type { EventStore } from "../src/events/eventStore.js";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../src/events/validatingStore.js";
import { createMemoryReadModel } from "../src/projections/memory/memoryReadModel.js";
import { startProjector } from "../src/projections/projector.js";
import { reducers } from "../src/projections/reducers/index.js";

const metadata = () => ({
  resourceOwner: "400000000000000001",
  instanceId: "400000000000000000",
  editorUser: "bench",
  createdAt: new Date().toISOString(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  schemaVersion: 1,
});

/** A log of `users` machine users with one added and four changed events each. */
export async function fillLog(store: EventStore, users: number): Promise<number> {
  const perUser = (i: number): NewEvent[] => [
    { id: randomUUID(), type: "user.machine.added", data: { userName: `bench-${i}`, name: "Bench" }, metadata: metadata() },
    ...[1, 2, 3, 4].map((n) => ({ id: randomUUID(), type: "user.machine.changed", data: { name: `Bench ${n}` }, metadata: metadata() })),
  ];
  for (let start = 0; start < users; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, users - start) }, (_, k) =>
        store.append(`user-${start + k}`, perUser(start + k), { expectedRevision: "no_stream" }),
      ),
    );
  }
  return users * 5;
}

// A full collection before each memory reading, without starting node with --expose-gc.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const memory = () => {
  collectGarbage();
  return process.memoryUsage();
};

/**
 * Rebuild of the in-process read model from the SQLite log, as every embedded start does; and the
 * memory the rebuilt read model holds: growth of this process's RSS (which also holds SQLite's page
 * cache) and heap from before the log was written, each after a full GC.
 */
export async function benchRebuild({ dir, users = 20_000 }: { dir: string; users?: number }) {
  // Reads go through the schema check and upcasting, as they do in the service.
  const before = memory();
  const store = withEventSchemas(createSqliteEventStore({ path: join(dir, "rebuild.sqlite") }));
  const events = await fillLog(store, users);
  const head = await store.headPosition();
  const started = performance.now();
  const readModel = createMemoryReadModel();
  const projector = startProjector({ store, readModel, reducers });
  const reached = await projector.waitFor(head, 120_000);
  const seconds = (performance.now() - started) / 1000;
  await projector.stop();
  const after = memory();
  // Referenced after the reading, so that it is still alive when measured.
  await readModel.close();
  await store.close();
  if (!reached) throw new Error("rebuild did not reach the head");
  const per100k = (bytes: number) => (bytes * 100_000) / users;
  return {
    events,
    eventsPerSecond: events / seconds,
    rssPer100kUsers: per100k(after.rss - before.rss),
    heapPer100kUsers: per100k(after.heapUsed - before.heapUsed),
  };
}
