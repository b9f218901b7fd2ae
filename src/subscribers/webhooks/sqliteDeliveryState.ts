import Database from "better-sqlite3";
import { preparePrivateDatabaseFile } from "../../privateFiles.js";
import type { DeadLetter, DeliveryState } from "./deliveryState.js";

const schema = `
CREATE TABLE IF NOT EXISTS checkpoints (
  target_id TEXT PRIMARY KEY,
  position  INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dead_letters (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  target_id  TEXT    NOT NULL,
  position   INTEGER NOT NULL,
  event_id   TEXT    NOT NULL,
  event_type TEXT    NOT NULL,
  attempts   INTEGER NOT NULL,
  last_error TEXT    NOT NULL,
  failed_at  TEXT    NOT NULL
) STRICT;
`;

interface DeadLetterRow {
  readonly id: bigint;
  readonly target_id: string;
  readonly position: bigint;
  readonly event_id: string;
  readonly event_type: string;
  readonly attempts: bigint;
  readonly last_error: string;
  readonly failed_at: string;
}

/** Delivery state in a SQLite file beside the embedded log: one process delivers, so no lease to check. */
export function openSqliteDeliveryState(path: string): DeliveryState {
  preparePrivateDatabaseFile(path);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(schema);
  const getCheckpoint = db.prepare("SELECT position FROM checkpoints WHERE target_id = ?").pluck().safeIntegers();
  const setCheckpoint = db.prepare("INSERT INTO checkpoints (target_id, position) VALUES (?, ?) ON CONFLICT (target_id) DO UPDATE SET position = excluded.position");
  const addDeadLetter = db.prepare(
    "INSERT INTO dead_letters (target_id, position, event_id, event_type, attempts, last_error, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const listDeadLetters = db.prepare("SELECT * FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?").safeIntegers();
  const getDeadLetter = db.prepare("SELECT * FROM dead_letters WHERE id = ?").safeIntegers();
  const removeDeadLetter = db.prepare("DELETE FROM dead_letters WHERE id = ?");
  const failedAgain = db.prepare("UPDATE dead_letters SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ?");
  const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
    id: Number(row.id),
    targetId: row.target_id,
    position: row.position,
    eventId: row.event_id,
    eventType: row.event_type,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    failedAt: row.failed_at,
  });

  const deadLetter = db.transaction((letter: Omit<DeadLetter, "id">) => {
    addDeadLetter.run(letter.targetId, letter.position, letter.eventId, letter.eventType, letter.attempts, letter.lastError, letter.failedAt);
    setCheckpoint.run(letter.targetId, letter.position);
  });

  return {
    checkpoint: async (targetId) => (getCheckpoint.get(targetId) as bigint | undefined) ?? undefined,
    saveCheckpoint: async (targetId, position) => (setCheckpoint.run(targetId, position), true),
    deadLetter: async (letter) => (deadLetter(letter), true),
    deadLetters: async ({ afterId, limit }) => (listDeadLetters.all(afterId, limit) as DeadLetterRow[]).map(toDeadLetter),
    deadLetterById: async (id) => {
      const row = getDeadLetter.get(id) as DeadLetterRow | undefined;
      return row && toDeadLetter(row);
    },
    removeDeadLetter: async (id) => void removeDeadLetter.run(id),
    failedAgain: async (id, error, at) => void failedAgain.run(error, at, id),
    close: async () => void db.close(),
  };
}
