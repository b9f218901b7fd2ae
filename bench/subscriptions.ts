import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { RecordedEvent } from "../src/events/envelope.js";
import type { ExpectedRevision, Subscription } from "../src/events/eventStore.js";
import { createSqliteEventStore, type SqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { benchEvent } from "./append.js";

export interface IdleSubscriptionsBenchResult {
  readonly subscriptions: number;
  /** Appends/s with no subscription open: the same-run baseline. */
  readonly baselineWritesPerSecond: number;
  readonly writesPerSecond: number;
  /** The same subscriptions with a filter that refuses every event, as SSE streams of another org or type have. */
  readonly filteredWritesPerSecond: number;
  /** Reads of the log per commit while the subscriptions were open. */
  readonly readsPerCommit: number;
}

// What open SSE streams cost the writers: fsync'd appends by `writers` writers, first with no
// subscription, then with `subscriptions` caught-up ones that take every event and keep none,
// then with as many that give the log a filter refusing every event (what an SSE stream does for
// events it would not deliver), each phase on a fresh log.
export async function benchIdleSubscriptions({ dir, subscriptions = 2000, writers = 50, seconds = 3 }: { dir: string; subscriptions?: number; writers?: number; seconds?: number }) {
  const baseline = await phase(dir, 0, writers, seconds);
  const loaded = await phase(dir, subscriptions, writers, seconds);
  const filtered = await phase(dir, subscriptions, writers, seconds, () => false);
  return {
    subscriptions,
    baselineWritesPerSecond: baseline.writesPerSecond,
    writesPerSecond: loaded.writesPerSecond,
    filteredWritesPerSecond: filtered.writesPerSecond,
    readsPerCommit: loaded.readsPerCommit,
  } satisfies IdleSubscriptionsBenchResult;
}

async function phase(dir: string, subscriptions: number, writers: number, seconds: number, filter?: (event: RecordedEvent) => boolean) {
  const workDir = await mkdtemp(join(dir, "subscriptions-"));
  const store = createSqliteEventStore({ path: join(workDir, "events.db") });
  const open = Array.from({ length: subscriptions }, () => idle(store.subscribe(filter ? { filter } : {})));
  await caughtUp(store, subscriptions);
  const before = { commits: store.stats().transactions, ...store.subscriptionStats() };

  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let writes = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const stream = `bench-${randomUUID()}`;
      let expectedRevision: ExpectedRevision = "no_stream";
      while (performance.now() < deadline) {
        expectedRevision = (await store.append(stream, [benchEvent()], { expectedRevision })).nextExpectedRevision;
        writes++;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  const after = store.subscriptionStats();
  const commits = store.stats().transactions - before.commits;
  const reads = after.tailReads - before.tailReads + after.pageReads - before.pageReads;

  await Promise.all(open.map((subscription) => subscription.close()));
  await store.close();
  await rm(workDir, { recursive: true, force: true });
  return { writesPerSecond: Math.round(writes / elapsedSeconds), readsPerCommit: Math.round((reads / Math.max(commits, 1)) * 100) / 100 };
}

function idle(subscription: Subscription): Subscription {
  void (async () => {
    for await (const _ of subscription);
  })();
  return subscription;
}

async function caughtUp(store: SqliteEventStore, subscriptions: number): Promise<void> {
  for (let waited = 0; store.subscriptionStats().followers < subscriptions; waited++) {
    if (waited > 10_000) throw new Error("the subscriptions did not catch up");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// `node --import tsx bench/subscriptions.ts [dir] [subscriptions]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? tmpdir();
  console.log(await benchIdleSubscriptions({ dir, subscriptions: Number(process.argv[3] ?? 2000) }));
}
