import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import type { RecordedEvent } from "../events/envelope.js";
import { writeWithBackpressure } from "../subscribers/backpressure.js";
import { toJsonLine } from "./jsonLines.js";
import { verifyLog, type VerifyReport } from "./verifyLog.js";

/**
 * Reads the input once: verifies every event as it comes and copies it into `path` (created 0600,
 * never overwritten), so that an import appends exactly what was verified, from a copy of its own,
 * whatever the input is (a pipe that cannot be read twice, a file changed in the meantime).
 */
export async function stageVerified(
  events: AsyncIterable<RecordedEvent>,
  path: string,
  onEvent: () => void = () => {},
  // Verified opened (src/privacy/personalDataStore.ts), staged as they came: sealed, never in plaintext.
  open: (event: RecordedEvent) => RecordedEvent | Promise<RecordedEvent> = (event) => event,
): Promise<VerifyReport> {
  const out = createWriteStream(path, { flags: "wx", mode: 0o600 });
  async function* copied(): AsyncGenerator<RecordedEvent> {
    for await (const event of events) {
      if (!(await writeWithBackpressure(out, toJsonLine(event)))) throw new Error(`the staging file ${path} closed`);
      yield await open(event);
    }
  }
  try {
    return await verifyLog(copied(), onEvent);
  } finally {
    out.end();
    await finished(out);
  }
}
