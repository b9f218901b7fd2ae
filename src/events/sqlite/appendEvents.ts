import Database from "better-sqlite3";
import { UniqueConstraintViolation, WrongExpectedRevision } from "../errors.js";
import type { AppendOptions, AppendResult, ExpectedRevision } from "../eventStore.js";
import type { Statements } from "./statements.js";

/** An event as a row holds it: payload and metadata as JSON text, made by the appending thread. */
export interface EncodedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export interface AppendRequest {
  readonly stream: string;
  readonly events: readonly EncodedEvent[];
  readonly options: AppendOptions;
}

/**
 * What an append wrote: the revision of its first event and every event's position (the caller
 * holds the events themselves), or, for a retry of an append that happened already, what that
 * one wrote.
 */
export type Appended = { readonly firstRevision: number; readonly positions: readonly bigint[] } | { readonly earlier: AppendResult };

// Runs inside a savepoint: whatever it throws, everything it wrote is rolled back.
export function appendEvents(sql: Statements, { stream, events, options }: AppendRequest): Appended {
  const { expectedRevision } = options;
  const last = sql.lastRevision(stream);
  const conflict = () => new WrongExpectedRevision(stream, expectedRevision, last === -1 ? "no_stream" : last);

  // 1. a retry of an append that already happened gets the original result
  const first = events[0];
  const earlier = first && sql.eventById(first.id);
  if (earlier) {
    const original = sql.streamFrom(earlier.stream, earlier.revision, events.length);
    if (!isSameAppend(original, stream, events, expectedRevision)) throw conflict();
    return { earlier: { events: original, nextExpectedRevision: earlier.revision + events.length - 1 } };
  }

  // 2. optimistic concurrency
  if (!matches(expectedRevision, last)) throw conflict();

  // 3. unique constraints, in the order given, so "remove x, add x" works
  for (const constraint of options.uniqueConstraints ?? []) {
    const { action, name, value } = constraint;
    const done = action === "add" ? sql.takeUnique(name, value, stream) : sql.releaseUnique(name, value);
    if (!done) throw new UniqueConstraintViolation(constraint);
  }

  // 4. the events; a unique violation here is an event id already used elsewhere in the log
  try {
    return { firstRevision: last + 1, positions: events.map((event, i) => sql.insertEvent(stream, last + 1 + i, event)) };
  } catch (error) {
    if (error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_UNIQUE") throw conflict();
    throw error;
  }
}

function matches(expected: ExpectedRevision, last: number): boolean {
  if (expected === "any") return true;
  return expected === "no_stream" ? last === -1 : expected === last;
}

// Same stream, same ids in the same order, and the revision the retry expected is the one the original saw.
function isSameAppend(
  original: AppendResult["events"],
  stream: string,
  events: readonly EncodedEvent[],
  expected: ExpectedRevision,
): boolean {
  const head = original[0];
  return (
    head !== undefined &&
    head.stream === stream &&
    original.length === events.length &&
    original.every((event, i) => event.id === events[i]?.id) &&
    matches(expected, head.revision - 1)
  );
}
