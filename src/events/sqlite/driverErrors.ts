import Database from "better-sqlite3";
import { EventStoreUnavailable } from "../errors.js";

// Codes that say the database file cannot be used right now, not that the request was wrong.
const unavailable = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/;

export function toStoreError(error: unknown): unknown {
  if (error instanceof Database.SqliteError && unavailable.test(error.code)) {
    return new EventStoreUnavailable(`sqlite event store: ${error.code}`, { cause: error });
  }
  return error;
}

export function translated<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw toStoreError(error);
  }
}
