import { parentPort } from "node:worker_threads";
import { openBatch, type OpenBatch, type OpenedBatch } from "./openBatch.js";

export interface OpenRequest {
  readonly id: number;
  readonly batch: OpenBatch;
}

export interface OpenAnswer {
  readonly id: number;
  readonly opened: OpenedBatch;
}

// The AES-GCM work of a replay, on a core of its own: only keys (some still wrapped) and
// ciphertexts come in, only keys and plaintexts go back, and nothing is kept between batches.
parentPort?.on("message", ({ id, batch }: OpenRequest) => {
  const opened = openBatch(batch);
  // The unwrapped keys' bytes move to the main thread rather than being copied.
  parentPort!.postMessage({ id, opened } satisfies OpenAnswer, [opened.unwrapped.buffer]);
});
// Loaded: from now on batches are worth sending.
parentPort?.postMessage("ready");
