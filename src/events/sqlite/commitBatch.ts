import type Database from "better-sqlite3";
import { appendEvents, type Appended, type AppendRequest } from "./appendEvents.js";
import { openDatabase } from "./schema.js";
import { prepareStatements } from "./statements.js";

/** Per append of a batch: what it wrote, or why it wrote nothing. */
export type Outcome<Failure = unknown> = { readonly appended: Appended } | { readonly failed: Failure };

/** Commits a batch of appends as one transaction (one fsync); throws when the whole batch failed. */
export type CommitBatch = (batch: readonly AppendRequest[]) => Outcome[];

// Each append runs in its own savepoint, so a failing one rolls back and fails alone, and a later
// one in the batch sees what an earlier one wrote.
export function batchCommitter(db: Database.Database): CommitBatch {
  const sql = prepareStatements(db);
  // Called inside a transaction, a better-sqlite3 transaction function runs as a SAVEPOINT.
  const inSavepoint = db.transaction((request: AppendRequest) => appendEvents(sql, request));
  const attempt = (request: AppendRequest): Outcome => {
    try {
      return { appended: inSavepoint(request) };
    } catch (error) {
      // SQLite aborted the whole transaction (disk full, I/O error): the batch fails as one.
      if (!db.inTransaction) throw error;
      return { failed: error };
    }
  };
  const commit = db.transaction((batch: readonly AppendRequest[]) => batch.map(attempt));
  return (batch) => commit.immediate(batch);
}

/** The writing connection of its own: the one a writer thread opens. */
export function openWriter(path: string, busyTimeoutMs: number): { readonly commit: CommitBatch; close(): void } {
  const db = openDatabase(path, busyTimeoutMs);
  return { commit: batchCommitter(db), close: () => db.close() };
}
