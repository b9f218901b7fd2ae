import type { Appended, AppendRequest } from "./appendEvents.js";
import type { Outcome } from "./commitBatch.js";

export interface GroupCommitStats {
  readonly appends: number;
  readonly transactions: number;
}

interface Pending {
  readonly request: AppendRequest;
  resolve(appended: Appended): void;
  reject(error: unknown): void;
}

// Appends submitted in the same turn of the event loop, and all those submitted while a batch is
// being committed, share one transaction, hence one fsync. One batch is out at a time: SQLite has
// one writer, and the longer a commit takes, the more the next one carries.
export function createGroupCommit(
  commit: (batch: readonly AppendRequest[]) => Promise<readonly Outcome[]>,
  /** After each commit: the batch and what each of its appends wrote (or why not). */
  onCommit: (batch: readonly AppendRequest[], outcomes: readonly Outcome[]) => void,
) {
  let queue: Pending[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let out: Promise<void> | undefined;
  const stats = { appends: 0, transactions: 0 };

  function flush(): void {
    scheduled = undefined;
    if (out !== undefined || queue.length === 0) return;
    const batch = queue;
    queue = [];
    const requests = batch.map(({ request }) => request);
    out = commit(requests)
      .then(
        (outcomes) => {
          stats.transactions++;
          outcomes.forEach((outcome, i) => ("failed" in outcome ? batch[i]!.reject(outcome.failed) : batch[i]!.resolve(outcome.appended)));
          onCommit(requests, outcomes);
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        out = undefined;
        flush();
      });
  }

  return {
    submit(request: AppendRequest): Promise<Appended> {
      stats.appends++;
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject });
        if (out === undefined) scheduled ??= setImmediate(flush);
      });
    },
    /** Commits what is waiting now rather than on the next turn, and settles once nothing is left out. */
    async drain(): Promise<void> {
      if (scheduled !== undefined) clearImmediate(scheduled);
      flush();
      while (out !== undefined) await out;
    },
    stats: (): GroupCommitStats => ({ ...stats }),
  };
}
