import {
  CancelledError,
  DeadlineExceededError,
  NO_STREAM,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import { EventStoreUnavailable, WrongExpectedRevision } from "../errors.js";
import type { ExpectedRevision } from "../eventStore.js";

// The client's own failure to find or reach a node, before any command error exists.
const unreachable = /Failed to discover|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|No connection established/i;

/** The driver's errors as the port's: a revision conflict, or the server out of reach. */
export function toStoreError(error: unknown, stream?: string, expected?: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion === NO_STREAM ? "no_stream" : Number(error.actualVersion);
    return new WrongExpectedRevision(stream ?? error.streamName, expected ?? "any", actual);
  }
  const transient =
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    error instanceof NotLeaderError ||
    (error instanceof Error && unreachable.test(error.message));
  if (transient) return new EventStoreUnavailable(`eventstoredb: ${error.message || error.name}`, { cause: error });
  return error;
}

export async function translated<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error);
  }
}
