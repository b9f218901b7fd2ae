import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../workerThread.js";
import { openBatch, type OpenBatch, type OpenedBatch } from "./openBatch.js";
import type { OpenAnswer, OpenRequest } from "./openWorker.js";

/** Opens batches of sealed values on a worker thread, or in place for a batch too small to be worth it or when the worker is not available (one core, or it failed). */
export interface ParallelOpener {
  open(batch: OpenBatch): Promise<OpenedBatch>;
}

/** Fewer values than this are opened faster in place than sent out and back. */
const WORTH_A_WORKER = 64;

const newWorker = () => startWorker(import.meta.url, "openWorker");

/** Opens every batch on the calling thread: what the worker computes, computed here. */
export const inPlaceOpener: ParallelOpener = { open: async (batch) => openBatch(batch) };

export interface WorkerOpener extends ParallelOpener {
  /** How many batches the worker has opened so far; the others were opened in place. */
  readonly workerBatches: () => number;
}

/**
 * One worker for the process, started on first use and used once it has loaded. It holds the event
 * loop only while a batch is out, so an idle service or a finished CLI command exits as before. A
 * worker that cannot start or dies leaves its batches to be opened in place: it is a matter of
 * speed, never of what is read (both run `openBatch`).
 */
export function createParallelOpener(): WorkerOpener {
  let workerBatches = 0;
  let worker: Worker | undefined;
  let ready = false;
  let failed = availableParallelism() < 2;
  let nextId = 0;
  const waiting = new Map<number, { readonly batch: OpenBatch; readonly resolve: (opened: OpenedBatch | Promise<OpenedBatch>) => void }>();
  const settleAllInPlace = () => {
    for (const { batch, resolve } of waiting.values()) resolve(inPlaceOpener.open(batch));
    waiting.clear();
  };
  const start = () => {
    try {
      const started = newWorker();
      started.on("message", (message: OpenAnswer | "ready") => {
        if (message === "ready") return void (ready = true);
        const { id, opened } = message;
        workerBatches++;
        waiting.get(id)?.resolve(opened);
        waiting.delete(id);
        if (waiting.size === 0) started.unref();
      });
      started.on("error", () => {
        failed = true;
        settleAllInPlace();
      });
      started.on("exit", () => {
        worker = undefined;
        ready = false;
        settleAllInPlace();
      });
      started.unref();
      return started;
    } catch {
      failed = true;
      return undefined;
    }
  };
  return {
    workerBatches: () => workerBatches,
    open(batch) {
      if (failed || batch.items.sealed.length + batch.wrapped.length < WORTH_A_WORKER) return inPlaceOpener.open(batch);
      worker ??= start();
      // A worker still starting would make the first batches wait for it: they are opened in place.
      if (!worker || !ready) return inPlaceOpener.open(batch);
      const id = nextId++;
      worker.ref();
      worker.postMessage({ id, batch } satisfies OpenRequest);
      return new Promise((resolve) => waiting.set(id, { batch, resolve }));
    },
  };
}

/** The process's opener: replays in every layer share its one worker. */
export const parallelOpener: ParallelOpener = createParallelOpener();
