import { once } from "node:events";
import type { Writable } from "node:stream";

/**
 * Writes `chunk`; when the stream's buffer is full, waits for 'drain' before returning, so a slow
 * reader slows the reading of the log instead of growing a buffer. Resolves false once the
 * stream is closed or destroyed.
 */
export async function writeWithBackpressure(stream: Writable, chunk: string): Promise<boolean> {
  if (stream.destroyed || stream.writableEnded) return false;
  if (stream.write(chunk)) return true;
  const listening = new AbortController();
  const { signal } = listening;
  try {
    return await Promise.race([
      once(stream, "drain", { signal }).then(() => true, () => false),
      once(stream, "close", { signal }).then(() => false, () => false),
    ]);
  } finally {
    listening.abort();
  }
}
