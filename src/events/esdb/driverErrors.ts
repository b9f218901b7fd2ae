import {
  AccessDeniedError,
  CancelledError,
  convertToCommandError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import { EventStoreRefused, EventStoreUnavailable, WrongExpectedRevision } from "../errors.js";
import type { ExpectedRevision } from "../eventStore.js";

// gRPC status codes that mean "the node did not answer": CANCELLED (by the server),
// DEADLINE_EXCEEDED, ABORTED (the server's own timeouts), INTERNAL (grpc-js reports a stream
// reset by a restarting node so), UNAVAILABLE (no connection, name resolution failed, "Server Is
// Not Ready" or "Server Is Too Busy").
const outageCodes = new Set([1, 4, 10, 13, 14]);
// Outages that reach us as text only: the client's own discovery and connection failures, and
// BatchAppend's NotHandled answers, which this client turns into "Could not recognize <message>".
const outageText = /Failed to discover|No connection established|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|Server Is (Not Ready|Busy|Too Busy)|No leader info available/i;
// Newer servers also limit one event (MaxAppendEventSize), which this client does not know.
const eventTooLarge = /MaximumAppendEventSizeExceeded|Maximum Append Event Size/i;

/** The client's typed error for a raw gRPC error (the feature probe's, or a stream's), as it would type it itself. */
function typed(error: unknown): unknown {
  const raw = error instanceof Error && typeof (error as { code?: unknown }).code === "number" && typeof (error as { details?: unknown }).details === "string";
  return raw ? convertToCommandError(error) : error;
}

/**
 * True when the server certainly did not write: it refused the append (conflict, rights, size,
 * deleted stream) or the node was not the leader. Anything else may have been written.
 */
export function definitelyNotWritten(error: unknown): boolean {
  const driverError = typed(error);
  return (
    driverError instanceof WrongExpectedVersionError ||
    driverError instanceof NotLeaderError ||
    refusalOf(driverError) !== undefined
  );
}

function refusalOf(error: unknown): EventStoreRefused["refusal"] | undefined {
  if (error instanceof AccessDeniedError) return "access_denied";
  if (error instanceof StreamDeletedError) return "stream_deleted";
  if (error instanceof MaxAppendSizeExceededError || (error instanceof Error && eventTooLarge.test(error.message))) return "too_large";
  return undefined;
}

function isOutage(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    error instanceof NotLeaderError
  ) {
    return true;
  }
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === "number" && outageCodes.has(code)) || outageText.test(error.message);
}

/** The driver's errors as the port's: a revision conflict, a refusal, or the server out of reach. */
export function toStoreError(error: unknown, stream?: string, expected?: ExpectedRevision): unknown {
  const driverError = typed(error);
  if (driverError instanceof WrongExpectedVersionError) {
    const actual = driverError.actualVersion === NO_STREAM ? "no_stream" : Number(driverError.actualVersion);
    return new WrongExpectedRevision(stream ?? driverError.streamName, expected ?? "any", actual);
  }
  const refusal = refusalOf(driverError);
  if (refusal) return new EventStoreRefused(refusal, `eventstoredb refused: ${(driverError as Error).message || refusal}`, { cause: error });
  if (isOutage(driverError)) return new EventStoreUnavailable(`eventstoredb: ${(driverError as Error).message || (driverError as Error).name}`, { cause: error });
  return error;
}

export async function translated<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error);
  }
}
