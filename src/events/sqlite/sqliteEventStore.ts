import { availableParallelism } from "node:os";
import { checkUnique } from "../checkUnique.js";
import type { NewEvent, RecordedEvent } from "../envelope.js";
import { EventStoreUnavailable } from "../errors.js";
import type { AppendResult, EventStore, Subscription } from "../eventStore.js";
import type { Appended, AppendRequest, EncodedEvent } from "./appendEvents.js";
import { batchCommitter, type Outcome } from "./commitBatch.js";
import { toStoreError, translated } from "./driverErrors.js";
import { createGroupCommit, type GroupCommitStats } from "./groupCommit.js";
import { createLiveTail, type LiveTailStats } from "./liveTail.js";
import { readAll } from "./readAll.js";
import { openDatabase } from "./schema.js";
import { prepareStatements } from "./statements.js";
import { createSubscription } from "./subscription.js";
import { startWriterThread, type WriterThread } from "./writerThread.js";

export interface SqliteEventStoreOptions {
  /** The database file; created with its schema when missing. Its directory must exist. */
  readonly path: string;
  /** How long a write waits for another process holding the file's write lock. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Events a caught-up subscription may hold for a slow consumer before it reads pages itself again. Default 1000. */
  readonly subscriberQueueLimit?: number;
  /** Told how many appends each group commit committed together (the metrics). */
  readonly onBatchCommitted?: (appends: number) => void;
  /**
   * Commit on a thread of its own, so that the event loop goes on while a commit waits for its
   * fsync. Default: when the machine has a second core. Until the thread has opened the database
   * (and if it cannot), batches are committed on the calling thread.
   */
  readonly writerThread?: boolean;
}

export interface SubscriptionStats extends LiveTailStats {
  /** Pages subscriptions read for themselves while behind the head. */
  readonly pageReads: number;
}

/** The embedded event store, plus counters that show how well group commit batches and subscriptions share reads. */
export interface SqliteEventStore extends EventStore {
  stats(): GroupCommitStats;
  subscriptionStats(): SubscriptionStats;
  /** Starts the writer thread if it is to have one; true once batches go to it, false when they are committed in place. */
  writerReady(): Promise<boolean>;
}

const pageSize = 2000;
// A read of the log parses a page at once, and its events live until the reader has taken them:
// every young-generation collection meanwhile copies them again. Pages of 250 rather than 2,000
// halved the collector's pauses of a replay of 100k events (and made it faster, decrypting or not).
const readAllPageSize = 250;

/**
 * Opens (or creates) an event store in one SQLite file: WAL, fsync on every commit, and appends
 * arriving together committed as one transaction, on a writer thread where there is a core for
 * it; reads stay on the calling thread's own connection. Subscriptions follow appends made through this
 * instance at once, and those of other processes writing the same file as soon as anyone here asks
 * for the head (every request does, for read-your-writes); those that have caught up share one
 * read per commit.
 */
export function createSqliteEventStore({
  path,
  busyTimeoutMs = 5000,
  subscriberQueueLimit = 1000,
  onBatchCommitted,
  writerThread = availableParallelism() > 1,
}: SqliteEventStoreOptions): SqliteEventStore {
  const db = openDatabase(path, busyTimeoutMs);
  const sql = prepareStatements(db);
  const readPage = (after: bigint, limit = pageSize) => translated(() => sql.eventsAfter(after, limit));
  const tail = createLiveTail(readPage, pageSize, () => translated(() => sql.headPosition()));
  const commitInPlace = batchCommitter(db);
  // Started with the first append: a command that only reads never starts it.
  let thread: WriterThread | undefined;
  const startThread = () => (thread ??= startWriterThread({ path, busyTimeoutMs }));
  const writer = createGroupCommit(
    async (batch) => (thread?.ready ? thread.commit(batch) : commitInPlace(batch)),
    (batch, outcomes) => {
      tail.onCommit(() => committedEvents(batch, outcomes));
      onBatchCommitted?.(batch.length);
    },
  );
  const pages = { after: readPage, before: (before: bigint, limit: number) => translated(() => sql.eventsBefore(before, limit)) };
  let pageReads = 0;
  const readOwnPage = (after: bigint) => {
    pageReads++;
    return readPage(after);
  };
  const subscriptions = new Set<Subscription>();
  let closed = false;

  return {
    async append(stream, events, options) {
      if (closed) throw new EventStoreUnavailable("sqlite event store is closed");
      if (writerThread) startThread();
      try {
        return recorded(stream, events, await writer.submit({ stream, events: events.map(encoded), options }));
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async checkUnique(stream, constraints) {
      if (closed) throw new EventStoreUnavailable("sqlite event store is closed");
      // What the commits so far hold (this thread's reader): an append in flight is the append's to decide.
      await checkUnique(stream, constraints, ({ name, value }) => translated(() => sql.uniqueHolder(name, value)));
    },
    async readStream(stream, { fromRevision = 0, maxCount = -1, direction = "forwards" } = {}) {
      return translated(() => (direction === "backwards" ? sql.streamLast(stream, maxCount) : sql.streamFrom(stream, fromRevision, maxCount)));
    },
    readAll: (options) => readAll(pages, readAllPageSize, options),
    subscribe({ from = 0n, filter } = {}) {
      const subscription = createSubscription({
        readPage: readOwnPage,
        pageSize,
        tail,
        from,
        filter,
        queueLimit: subscriberQueueLimit,
        onClose: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      return subscription;
    },
    async headPosition() {
      const head = translated(() => sql.headPosition());
      tail.noticeHead(head);
      return head;
    },
    stats: writer.stats,
    writerReady: async () => (writerThread ? startThread().started : false),
    subscriptionStats: () => ({ ...tail.stats(), pageReads }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await writer.drain();
      await thread?.close();
      db.close();
    },
  };
}

// Serialized on the appending thread, so that only strings cross to the writer.
const encoded = ({ id, type, data, metadata }: NewEvent): EncodedEvent => ({ id, type, data: JSON.stringify(data), metadata: JSON.stringify(metadata) });

// What a batch wrote, as a read of its rows gives it (the same JSON parsed afresh, so readers share
// nothing with the appenders), in position order: a batch's appends are written one after the other.
function committedEvents(batch: readonly AppendRequest[], outcomes: readonly Outcome[]): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  outcomes.forEach((outcome, i) => {
    if (!("appended" in outcome) || "earlier" in outcome.appended) return;
    const { firstRevision, positions } = outcome.appended;
    const { stream, events: written } = batch[i]!;
    written.forEach(({ id, type, data, metadata }, k) =>
      events.push({ id, type, data: JSON.parse(data), metadata: JSON.parse(metadata), stream, revision: firstRevision + k, position: positions[k]! }),
    );
  });
  return events;
}

// The caller's own events, placed where the append put them.
function recorded(stream: string, events: readonly NewEvent[], appended: Appended): AppendResult {
  if ("earlier" in appended) return appended.earlier;
  const { firstRevision, positions } = appended;
  return {
    events: events.map(({ id, type, data, metadata }, i) => ({ id, type, data, metadata, stream, revision: firstRevision + i, position: positions[i]! })),
    nextExpectedRevision: firstRevision + events.length - 1,
  };
}
