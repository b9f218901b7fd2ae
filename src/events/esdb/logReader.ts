import { BACKWARDS, END, FORWARDS, START, type AllStreamRecordedEvent, type ReadPosition } from "@eventstore/db-client";
import type { EsdbClient } from "./client.js";
import { toStoreError, translated } from "./driverErrors.js";
import { logPosition } from "./envelope.js";

/** The server's positions are int64: no record starts at or after this. */
export const LOG_LIMIT = 2n ** 63n - 1n;

/** EventStoreDB's default chunk size: a record never crosses a chunk's end, so a chunk's start is always a record's. */
export const DEFAULT_CHUNK_SIZE = 256n * 1024n * 1024n;

// What the server answers for a read of `$all` from where no record starts: readAll "Unexpected
// ReadAllResult: InvalidPosition" (or "Error" backwards beyond the end), a subscription's catch-up
// "Trying to read from an invalid position.".
const invalidPosition = /InvalidPosition|ReadAllResult: Error|invalid position/i;
const isInvalidPosition = (error: unknown) => error instanceof Error && invalidPosition.test(error.message);

/**
 * Reading `$all` from any number. A position in EventStoreDB is a byte offset in its log, and the
 * server reads `$all` from an offset by parsing the record found there: only the start of a record
 * (or of a chunk) works, anywhere else it answers "invalid position". Clients send arbitrary
 * numbers (`from`, `Last-Event-ID`), so a refused offset is resolved to the event next to it with
 * reads from safe places only: the start of its chunk, else the start of the log.
 */
export function createLogReader(client: EsdbClient, { pageSize, chunkSize }: { pageSize: number; chunkSize: bigint }) {
  async function page(direction: typeof FORWARDS | typeof BACKWARDS, fromPosition: ReadPosition, maxCount: number): Promise<AllStreamRecordedEvent[]> {
    const events: AllStreamRecordedEvent[] = [];
    for await (const { event } of client.readAll({ direction, fromPosition, maxCount, requiresLeader: true })) if (event) events.push(event);
    return events;
  }

  // The first record at or after `position` (undefined: none yet), read from safe places only.
  async function firstAtOrAfter(position: bigint): Promise<AllStreamRecordedEvent | undefined> {
    if (position > LOG_LIMIT) return undefined;
    if (position <= 0n) return (await page(FORWARDS, START, 1))[0];
    try {
      return (await page(FORWARDS, logPosition(position), 1))[0];
    } catch (error) {
      if (!isInvalidPosition(error)) throw error;
    }
    const chunkStart = position - (position % chunkSize);
    let from: ReadPosition = START;
    try {
      await page(FORWARDS, logPosition(chunkStart), 1);
      from = logPosition(chunkStart);
    } catch (error) {
      // the server's chunks are not the size we were told: scan from the start of the log
      if (!isInvalidPosition(error)) throw error;
    }
    for (;;) {
      const events = await page(FORWARDS, from, pageSize);
      const found = events.find((event) => event.position.commit >= position);
      if (found || events.length < pageSize) return found;
      from = logPosition(events.at(-1)!.position.commit);
    }
  }

  /** A safe place to read forwards (inclusive) or subscribe (exclusive) from, at or before the last event at or before `position`. */
  async function startAfter(position: bigint): Promise<ReadPosition> {
    if (position <= 0n) return START;
    const next = await firstAtOrAfter(position);
    if (next?.position.commit === position) return logPosition(position);
    // Backwards from the next event, the first one is the last before `position`; from the end,
    // events appended meanwhile come first.
    let from: ReadPosition = next ? logPosition(next.position.commit) : END;
    for (;;) {
      const events = await page(BACKWARDS, from, pageSize);
      const before = events.find((event) => event.position.commit <= position);
      if (before) return logPosition(before.position.commit);
      if (events.length < pageSize) return START;
      from = logPosition(events.at(-1)!.position.commit);
    }
  }

  /** `$all` after `after` (exclusive), oldest first, `$` events included. */
  async function* forwards(after: bigint | undefined): AsyncGenerator<AllStreamRecordedEvent> {
    if (after !== undefined && after >= LOG_LIMIT) return;
    let last = after ?? -1n;
    let from: ReadPosition = last < 0n ? START : logPosition(last);
    for (let resolved = last < 0n; ; ) {
      let events: AllStreamRecordedEvent[];
      try {
        events = await page(FORWARDS, from, pageSize);
      } catch (error) {
        if (resolved || !isInvalidPosition(error)) throw toStoreError(error);
        from = await translated(() => startAfter(last));
        resolved = true;
        continue;
      }
      resolved = true;
      // forwards, `fromPosition` is inclusive
      for (const event of events) {
        if (event.position.commit <= last) continue;
        last = event.position.commit;
        yield event;
      }
      if (events.length < pageSize) return;
      from = logPosition(last);
    }
  }

  /** `$all` before `before` (exclusive), newest first, `$` events included, read `size` at a time. */
  async function* backwards(before: bigint | undefined, size = pageSize): AsyncGenerator<AllStreamRecordedEvent> {
    if (before !== undefined && before <= 0n) return;
    let first = before === undefined || before > LOG_LIMIT ? LOG_LIMIT + 1n : before;
    let from: ReadPosition = first > LOG_LIMIT ? END : logPosition(first);
    for (let resolved = from === END; ; ) {
      let events: AllStreamRecordedEvent[];
      try {
        events = await page(BACKWARDS, from, size);
      } catch (error) {
        if (resolved || !isInvalidPosition(error)) throw toStoreError(error);
        const next = await translated(() => firstAtOrAfter(first));
        from = next ? logPosition(next.position.commit) : END;
        resolved = true;
        continue;
      }
      resolved = true;
      // backwards, `fromPosition` is exclusive; from the end, events appended meanwhile are skipped
      for (const event of events) {
        if (event.position.commit >= first) continue;
        first = event.position.commit;
        yield event;
      }
      if (events.length < size) return;
      from = logPosition(first);
    }
  }

  return { forwards, backwards, startAfter: (position: bigint) => translated(() => startAfter(position)) };
}

export type LogReader = ReturnType<typeof createLogReader>;
