import type Database from "better-sqlite3";
import type { RecordedEvent } from "../envelope.js";
import type { EncodedEvent } from "./appendEvents.js";

// Rows come back as arrays (better-sqlite3's raw mode, about twice as fast to decode as objects).
const columns = "position, id, stream, revision, type, data, metadata";
type EventRow = readonly [position: bigint, id: string, stream: string, revision: bigint, type: string, data: string, metadata: string];

export type Statements = ReturnType<typeof prepareStatements>;

// Rows are read with safe integers so positions arrive as bigint, never rounded.
export function prepareStatements(db: Database.Database) {
  const lastRevision = db.prepare("SELECT MAX(revision) FROM events WHERE stream = ?").pluck();
  const headPosition = db.prepare("SELECT MAX(position) FROM events").pluck().safeIntegers();
  const eventById = db.prepare(`SELECT ${columns} FROM events WHERE id = ?`).safeIntegers().raw();
  const streamFrom = db
    .prepare(`SELECT ${columns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`)
    .safeIntegers()
    .raw();
  const streamLast = db.prepare(`SELECT ${columns} FROM events WHERE stream = ? ORDER BY revision DESC LIMIT ?`).safeIntegers().raw();
  const eventsAfter = db.prepare(`SELECT ${columns} FROM events WHERE position > ? ORDER BY position LIMIT ?`).safeIntegers().raw();
  const eventsBefore = db.prepare(`SELECT ${columns} FROM events WHERE position < ? ORDER BY position DESC LIMIT ?`).safeIntegers().raw();
  const insertEvent = db
    .prepare("INSERT INTO events (id, stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)")
    .safeIntegers();
  const takeUnique = db.prepare(
    "INSERT INTO unique_constraints (name, value, stream) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const releaseUnique = db.prepare("DELETE FROM unique_constraints WHERE name = ? AND value = ?");
  const uniqueHolder = db.prepare("SELECT stream FROM unique_constraints WHERE name = ? AND value = ?").pluck();

  return {
    // -1 when the stream does not exist.
    lastRevision: (stream: string) => (lastRevision.get(stream) as number | null) ?? -1,
    headPosition: () => (headPosition.get() as bigint | null) ?? 0n,
    eventById: (id: string) => {
      const row = eventById.get(id) as EventRow | undefined;
      return row && toRecorded(row);
    },
    // A limit of -1 means no limit.
    streamFrom: (stream: string, fromRevision: number, limit = -1) =>
      (streamFrom.all(stream, fromRevision, limit) as EventRow[]).map(toRecorded),
    // Newest first; a limit of -1 means no limit.
    streamLast: (stream: string, limit = -1) => (streamLast.all(stream, limit) as EventRow[]).map(toRecorded),
    eventsAfter: (position: bigint, limit: number) =>
      (eventsAfter.all(position, limit) as EventRow[]).map(toRecorded),
    eventsBefore: (position: bigint, limit: number) =>
      (eventsBefore.all(position, limit) as EventRow[]).map(toRecorded),
    // The new event's position.
    insertEvent: (stream: string, revision: number, { id, type, data, metadata }: EncodedEvent): bigint =>
      BigInt(insertEvent.run(id, stream, revision, type, data, metadata).lastInsertRowid),
    takeUnique: (name: string, value: string, stream: string) => takeUnique.run(name, value, stream).changes === 1,
    releaseUnique: (name: string, value: string) => releaseUnique.run(name, value).changes === 1,
    // The stream that holds the value, undefined when none does.
    uniqueHolder: (name: string, value: string) => (uniqueHolder.get(name, value) as string | undefined) ?? undefined,
  };
}

function toRecorded([position, id, stream, revision, type, data, metadata]: EventRow): RecordedEvent {
  return { id, type, data: JSON.parse(data), metadata: JSON.parse(metadata), stream, revision: Number(revision), position };
}
