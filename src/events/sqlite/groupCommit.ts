import type Database from "better-sqlite3";

export interface GroupCommitStats {
  readonly appends: number;
  readonly transactions: number;
}

interface Pending<Request, Result> {
  readonly request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

// Requests submitted in the same turn of the event loop share one transaction, hence one fsync.
// Each runs in its own savepoint, so a failing one rolls back and rejects alone, and a later one
// in the batch sees what an earlier one wrote.
export function createGroupCommit<Request, Result>(
  db: Database.Database,
  apply: (request: Request) => Result,
  onCommit: (appends: number) => void,
) {
  // Called inside a transaction, a better-sqlite3 transaction function runs as a SAVEPOINT.
  const inSavepoint = db.transaction(apply);
  const commitBatch = db.transaction((batch: readonly Pending<Request, Result>[]) => batch.map(attempt));
  let queue: Pending<Request, Result>[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const stats = { appends: 0, transactions: 0 };

  // Returns how to settle the request once the whole batch is committed.
  function attempt({ request, resolve, reject }: Pending<Request, Result>): () => void {
    try {
      const result = inSavepoint(request);
      return () => resolve(result);
    } catch (error) {
      // SQLite aborted the whole transaction (disk full, I/O error): the batch fails as one.
      if (!db.inTransaction) throw error;
      return () => reject(error);
    }
  }

  function flush(): void {
    scheduled = undefined;
    const batch = queue;
    queue = [];
    let settlers: (() => void)[];
    try {
      settlers = commitBatch.immediate(batch);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    stats.transactions++;
    for (const settle of settlers) settle();
    onCommit(batch.length);
  }

  return {
    submit(request: Request): Promise<Result> {
      stats.appends++;
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject });
        scheduled ??= setImmediate(flush);
      });
    },
    // Commits the waiting batch now rather than on the next turn of the event loop.
    flushNow(): void {
      if (scheduled === undefined) return;
      clearImmediate(scheduled);
      flush();
    },
    stats: (): GroupCommitStats => ({ ...stats }),
  };
}
