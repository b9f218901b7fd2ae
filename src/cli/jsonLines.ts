import type { RecordedEvent } from "../events/envelope.js";
import { MAX_APPEND_BYTES } from "./appendSize.js";

/** The longest line read: an event weighs at most MAX_APPEND_BYTES, and its envelope adds little. */
export const MAX_LINE_BYTES = 2 * MAX_APPEND_BYTES;

/**
 * One event per line: the envelope, its data and metadata, the position as a decimal string
 * (it is a uint64). This is the full event, hashes included: an export is a backup, not an
 * audit answer, and is as sensitive as the database file.
 */
export const toJsonLine = (event: RecordedEvent): string =>
  JSON.stringify({
    id: event.id,
    type: event.type,
    stream: event.stream,
    revision: event.revision,
    position: event.position.toString(),
    data: event.data,
    metadata: event.metadata,
  }) + "\n";

/** Parses a line back; throws with the line number when it is not an event. */
export function fromJsonLine(line: string, lineNumber: number): RecordedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`line ${lineNumber}: not JSON`);
  }
  const event = parsed as Record<string, unknown>;
  const fail = (what: string) => new Error(`line ${lineNumber}: ${what}`);
  if (typeof event.id !== "string" || !event.id) throw fail("id must be a non-empty string");
  if (typeof event.type !== "string") throw fail("type must be a string");
  if (typeof event.stream !== "string" || !event.stream) throw fail("stream must be a non-empty string");
  if (!Number.isSafeInteger(event.revision) || (event.revision as number) < 0) throw fail("revision must be an integer >= 0");
  if (typeof event.position !== "string" || !/^\d+$/.test(event.position)) throw fail("position must be a decimal string");
  if (typeof event.metadata !== "object" || event.metadata === null) throw fail("metadata must be an object");
  return {
    id: event.id,
    type: event.type,
    stream: event.stream,
    revision: event.revision as number,
    position: BigInt(event.position),
    data: event.data,
    metadata: event.metadata as RecordedEvent["metadata"],
  };
}

/** The events of a JSON Lines text stream, blank lines skipped. */
export async function* readJsonLines(lines: AsyncIterable<string>): AsyncGenerator<RecordedEvent> {
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim()) yield fromJsonLine(line, lineNumber);
  }
}
