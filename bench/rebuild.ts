import { randomUUID } from "node:crypto";
import { join } from "node:path";
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

/** Rebuild of the in-process read model from the SQLite log, as every embedded start does. */
export async function benchRebuild({ dir, users = 20_000 }: { dir: string; users?: number }) {
  // Reads go through the schema check and upcasting, as they do in the service.
  const store = withEventSchemas(createSqliteEventStore({ path: join(dir, "rebuild.sqlite") }));
  const events = await fillLog(store, users);
  const head = await store.headPosition();
  const started = performance.now();
  const projector = startProjector({ store, readModel: createMemoryReadModel(), reducers });
  const reached = await projector.waitFor(head, 120_000);
  const seconds = (performance.now() - started) / 1000;
  await projector.stop();
  await store.close();
  if (!reached) throw new Error("rebuild did not reach the head");
  return { events, eventsPerSecond: events / seconds };
}
