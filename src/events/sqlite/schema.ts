import Database from "better-sqlite3";
import { preparePrivateDatabaseFile } from "../../privateFiles.js";

// position is AUTOINCREMENT so a position is never handed out twice, even after a rollback.
const schema = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT    NOT NULL UNIQUE,
  stream   TEXT    NOT NULL,
  revision INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  data     TEXT    NOT NULL,
  metadata TEXT    NOT NULL,
  UNIQUE (stream, revision)
) STRICT;

CREATE TABLE IF NOT EXISTS unique_constraints (
  name   TEXT NOT NULL,
  value  TEXT NOT NULL,
  stream TEXT NOT NULL,
  PRIMARY KEY (name, value)
) STRICT, WITHOUT ROWID;
`;

export function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  preparePrivateDatabaseFile(path);
  const db = new Database(path);
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("journal_mode = WAL");
  // FULL: every commit fsyncs the WAL, so an acknowledged append survives a power cut.
  db.pragma("synchronous = FULL");
  db.exec(schema);
  return db;
}
