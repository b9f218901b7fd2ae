import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { exportLog } from "../src/cli/exportLog.js";
import { importLog } from "../src/cli/importLog.js";
import { readJsonLines, toJsonLine } from "../src/cli/jsonLines.js";
import { verifyLog } from "../src/cli/verifyLog.js";
import type { RecordedEvent } from "../src/events/envelope.js";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";

export interface ExportBenchResult {
  readonly events: number;
  /** `idledger export`: the SQLite log to a JSON Lines file. */
  readonly exportEventsPerSecond: number;
  /** `idledger import`: a JSON Lines file into an empty SQLite log, fsync'd. */
  readonly importEventsPerSecond: number;
  /** `idledger verify --in`: the checks import runs first. */
  readonly verifyEventsPerSecond: number;
}

const lines = (file: string) => createInterface({ input: createReadStream(file), crlfDelay: Infinity });
const perSecond = (count: number, started: number) => Math.round(count / ((performance.now() - started) / 1000));

// Import, verify and export rates of the CLI on a log of `events` events, 10 per user stream.
export async function benchExport({ dir, events = 200_000 }: { dir: string; events?: number }): Promise<ExportBenchResult> {
  const workDir = await mkdtemp(join(dir, "export-"));
  try {
    const input = join(workDir, "input.jsonl");
    const seed = createWriteStream(input);
    for (let i = 0; i < events; i++) if (!seed.write(toJsonLine(benchEvent(i)))) await new Promise<void>((resolve) => seed.once("drain", () => resolve()));
    seed.end();
    await finished(seed);

    let started = performance.now();
    const report = await verifyLog(readJsonLines(lines(input)));
    const verifyEventsPerSecond = perSecond(report.events, started);
    if (report.problemCount > 0) throw new Error(`bench input is not well-formed: ${report.problems[0]}`);

    const store = createSqliteEventStore({ path: join(workDir, "events.sqlite") });
    started = performance.now();
    const imported = await importLog(store, readJsonLines(lines(input)));
    const importEventsPerSecond = perSecond(imported, started);

    const output = createWriteStream(join(workDir, "output.jsonl"));
    started = performance.now();
    const exported = await exportLog(store, output);
    output.end();
    await finished(output);
    const exportEventsPerSecond = perSecond(exported, started);
    await store.close();
    return { events: exported, exportEventsPerSecond, importEventsPerSecond, verifyEventsPerSecond };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function benchEvent(i: number): RecordedEvent {
  const revision = i % 10;
  const user = Math.floor(i / 10);
  return {
    id: randomUUID(),
    type: revision === 0 ? "user.machine.added" : "user.machine.changed",
    stream: `user-bench-${user}`,
    revision,
    position: BigInt(i + 1),
    data: revision === 0 ? { userName: `machine-${user}`, name: "Bench machine", description: "created by bench/export.ts" } : { description: `change ${revision}` },
    metadata: {
      resourceOwner: "bench-org",
      instanceId: "bench-instance",
      editorUser: "bench-admin",
      createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      schemaVersion: 1,
    },
  };
}

// `node --import tsx bench/export.ts [dir] [events]`: the directory should sit on the disk under test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? tmpdir();
  const events = Number(process.argv[3] ?? 200_000);
  console.log(`export/import of ${events} events in ${dir}:`, await benchExport({ dir, events }));
}
