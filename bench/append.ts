import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import type { NewEvent } from "../src/events/envelope.js";
import { EventStoreUnavailable } from "../src/events/errors.js";
import type { ExpectedRevision } from "../src/events/eventStore.js";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { mainThreadCpuMs } from "./rebuild.js";

export interface AppendBenchResult {
  readonly eventsPerSecond: number;
  readonly busyErrors: number;
  /** How many appends group commit put in one transaction, on average. */
  readonly eventsPerTransaction: number;
  /** CPU time of the appending thread (the event loop) per append, writers' own work included. */
  readonly mainThreadMicrosPerAppend: number;
}

// Raw fsync'd append throughput of the SQLite store: each writer appends one event at a time
// to its own stream and waits for the acknowledgement before the next one. `writerThread` as the
// store's option (default: as the service runs it); the thread is up before the clock starts.
export async function benchAppend({ dir, writers = 50, seconds = 3, writerThread }: { dir: string; writers?: number; seconds?: number; writerThread?: boolean }) {
  const workDir = await mkdtemp(join(dir, "append-"));
  const store = createSqliteEventStore({ path: join(workDir, "events.db"), ...(writerThread === undefined ? {} : { writerThread }) });
  await store.writerReady();
  const mainThreadBefore = mainThreadCpuMs();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let events = 0;
  let busyErrors = 0;

  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const stream = `bench-${writer}-${randomUUID()}`;
      let expectedRevision: ExpectedRevision = "no_stream";
      while (performance.now() < deadline) {
        try {
          expectedRevision = (await store.append(stream, [benchEvent()], { expectedRevision })).nextExpectedRevision;
          events++;
        } catch (error) {
          if (!isBusy(error)) throw error;
          busyErrors++;
        }
      }
    }),
  );

  const elapsedSeconds = (performance.now() - started) / 1000;
  const mainThreadMs = mainThreadCpuMs() - mainThreadBefore;
  const { transactions } = store.stats();
  await store.close();
  await rm(workDir, { recursive: true, force: true });
  return {
    eventsPerSecond: Math.round(events / elapsedSeconds),
    busyErrors,
    eventsPerTransaction: Math.round((events / Math.max(transactions, 1)) * 10) / 10,
    mainThreadMicrosPerAppend: Math.round((mainThreadMs * 1000) / Math.max(events, 1)),
  } satisfies AppendBenchResult;
}

function isBusy(error: unknown): boolean {
  const cause = error instanceof EventStoreUnavailable ? error.cause : error;
  return cause instanceof Database.SqliteError && cause.code.startsWith("SQLITE_BUSY");
}

export function benchEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: "user.machine.added",
    data: { userName: `machine-${randomUUID()}`, name: "Bench machine", description: "created by bench/append.ts" },
    metadata: {
      resourceOwner: "bench-org",
      instanceId: "bench-instance",
      editorUser: "bench-admin",
      createdAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      schemaVersion: 1,
    },
  };
}

// `node --import tsx bench/append.ts [dir]`: the directory should sit on the disk under test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? tmpdir();
  for (const writerThread of [true, false]) {
    console.log(`append, 50 writers, 3 s, fsync'd, ${writerThread ? "writer thread" : "in place"}, in ${dir}:`, await benchAppend({ dir, writerThread }));
  }
}
