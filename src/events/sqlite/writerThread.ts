import type { Worker } from "node:worker_threads";
import { startWorker } from "../../workerThread.js";
import { EventStoreUnavailable } from "../errors.js";
import type { AppendRequest } from "./appendEvents.js";
import type { Outcome } from "./commitBatch.js";
import { fromWire, type CommitAnswer, type CommitRequest, type OpenWriter, type WriterStatus } from "./writerProtocol.js";

/** The event store's writing connection on a thread of its own. */
export interface WriterThread {
  /** Whether batches may go to it: not before it has opened the database, and never again once it failed. */
  readonly ready: boolean;
  /** Settles once it is ready (true) or failed to start (false). */
  readonly started: Promise<boolean>;
  /** Commits one batch; one at a time. Rejects when the whole batch failed (or the thread died: then it may or may not have committed). */
  commit(batch: readonly AppendRequest[]): Promise<readonly Outcome[]>;
  /** Closes its connection and ends it; no batch may be out. */
  close(): Promise<void>;
}

// It holds the event loop while it starts and while a batch is out: an idle service or a finished
// CLI command exits as it would without it.
export function startWriterThread(options: OpenWriter): WriterThread {
  let state: "starting" | "ready" | "failed" = "starting";
  let waiting: { readonly id: number; resolve(outcomes: readonly Outcome[]): void; reject(error: unknown): void } | undefined;
  let nextId = 0;
  let closing = false;
  let markStarted: (ready: boolean) => void = () => {};
  const started = new Promise<boolean>((resolve) => (markStarted = resolve));
  const stopped = (why: string) => {
    state = "failed";
    markStarted(false);
    waiting?.reject(new EventStoreUnavailable(`sqlite writer thread ${why}: the appends it held may or may not have been committed`));
    waiting = undefined;
  };

  let worker: Worker;
  try {
    worker = startWorker(import.meta.url, "writerWorker", { workerData: options satisfies OpenWriter });
  } catch {
    stopped("could not start");
    return { ready: false, started, commit: () => Promise.reject(new EventStoreUnavailable("sqlite writer thread could not start")), close: async () => {} };
  }
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.on("message", (message: WriterStatus | CommitAnswer) => {
    if ("ready" in message) {
      // Closed while it started: close() holds the event loop until it has ended.
      if (closing) return;
      state = "ready";
      worker.unref();
      return markStarted(true);
    }
    if (!("id" in message)) return stopped("could not open the database");
    const pending = waiting;
    if (pending?.id !== message.id) return;
    waiting = undefined;
    if (!closing) worker.unref();
    if ("batchFailed" in message) return pending.reject(fromWire(message.batchFailed));
    pending.resolve(message.outcomes.map((outcome) => ("failed" in outcome ? { failed: fromWire(outcome.failed) } : outcome)));
  });
  worker.on("error", () => stopped("failed"));
  void exited.then(() => stopped("exited"));

  return {
    get ready() {
      return state === "ready";
    },
    started,
    commit(batch) {
      if (state !== "ready") return Promise.reject(new EventStoreUnavailable("sqlite writer thread is not running"));
      if (waiting) return Promise.reject(new Error("sqlite writer thread: one batch at a time"));
      const id = nextId++;
      worker.ref();
      worker.postMessage({ id, batch } satisfies CommitRequest);
      return new Promise((resolve, reject) => (waiting = { id, resolve, reject }));
    },
    async close() {
      closing = true;
      worker.ref();
      if (state === "ready") worker.postMessage("close");
      else await worker.terminate();
      await exited;
    },
  };
}
