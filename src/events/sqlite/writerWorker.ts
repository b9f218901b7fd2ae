import { parentPort, workerData } from "node:worker_threads";
import { openWriter } from "./commitBatch.js";
import { toWire, type CommitAnswer, type CommitRequest, type OpenWriter, type WriterStatus } from "./writerProtocol.js";

// The thread that owns the event store's writing connection: a batch's transaction, and the fsync
// its commit waits for, happen here while the event loop of the service goes on.
const port = parentPort!;
const { path, busyTimeoutMs } = workerData as OpenWriter;

let writer: ReturnType<typeof openWriter>;
try {
  writer = openWriter(path, busyTimeoutMs);
} catch (error) {
  port.postMessage({ failed: toWire(error) } satisfies WriterStatus);
  process.exit(1);
}

port.on("message", (message: CommitRequest | "close") => {
  if (message === "close") {
    writer.close();
    // Ends this thread now, whatever else its loaders left open (run from source, tsx's hooks).
    process.exit(0);
  }
  const { id, batch } = message;
  let answer: CommitAnswer;
  try {
    const outcomes = writer.commit(batch).map((outcome) => ("failed" in outcome ? { failed: toWire(outcome.failed) } : outcome));
    answer = { id, outcomes };
  } catch (error) {
    answer = { id, batchFailed: toWire(error) };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true } satisfies WriterStatus);
