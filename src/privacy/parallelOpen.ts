import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../workerThread.js";
import type { OpenAnswer, OpenRequest } from "./openWorker.js";

/** Opens batches of sealed values on a worker thread; `undefined` for a batch too small to be worth it or when the worker is not available (one core, or it failed). */
export interface ParallelOpener {
  open(keys: readonly Buffer[], items: OpenRequest["items"]): Promise<readonly (string | null)[] | undefined>;
}

/** Fewer values than this are opened faster in place than sent out and back. */
const WORTH_A_WORKER = 64;

const newWorker = () => startWorker(import.meta.url, "openWorker");

/**
 * One worker for the process, started on first use and used once it has loaded. It holds the event
 * loop only while a batch is out, so an idle service or a finished CLI command exits as before. A worker that cannot start or
 * dies answers `undefined` and the caller opens the batch itself: it is a matter of speed, never of
 * what is read.
 */
export function createParallelOpener(): ParallelOpener {
  let worker: Worker | undefined;
  let ready = false;
  let failed = availableParallelism() < 2;
  let nextId = 0;
  const waiting = new Map<number, (answer: readonly (string | null)[] | undefined) => void>();
  const settleAll = () => {
    for (const resolve of waiting.values()) resolve(undefined);
    waiting.clear();
  };
  const start = () => {
    try {
      const started = newWorker();
      started.on("message", (message: OpenAnswer | "ready") => {
        if (message === "ready") return void (ready = true);
        const { id, opened } = message;
        waiting.get(id)?.(opened);
        waiting.delete(id);
        if (waiting.size === 0) started.unref();
      });
      started.on("error", () => {
        failed = true;
        settleAll();
      });
      started.on("exit", () => {
        worker = undefined;
        ready = false;
        settleAll();
      });
      started.unref();
      return started;
    } catch {
      failed = true;
      return undefined;
    }
  };
  return {
    open(keys, items) {
      if (failed || items.length < WORTH_A_WORKER) return Promise.resolve(undefined);
      worker ??= start();
      // A worker still starting would make the first batches wait for it: they are opened in place.
      if (!worker || !ready) return Promise.resolve(undefined);
      const id = nextId++;
      const request: OpenRequest = { id, keys: Buffer.concat(keys), items };
      worker.ref();
      worker.postMessage(request);
      return new Promise((resolve) => waiting.set(id, resolve));
    },
  };
}

/** The process's opener: replays in every layer share its one worker. */
export const parallelOpener: ParallelOpener = createParallelOpener();
