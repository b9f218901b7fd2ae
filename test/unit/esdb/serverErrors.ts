import {
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  UnknownError,
} from "@eventstore/db-client";

// The errors the client raises for the server's answers, built as the client builds them from a
// gRPC status (utils/CommandError.js, streams/appendToStream/unpackError.js).
type Status = NonNullable<ConstructorParameters<typeof UnknownError>[0]>;
const codeNames: Record<number, string> = { 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 10: "ABORTED", 14: "UNAVAILABLE" };
const status = (code: number, details: string, metadata: Record<string, string> = {}): Status =>
  ({ code, details, message: `${code} ${codeNames[code]}: ${details}`, metadata: { getMap: () => metadata } }) as unknown as Status;

export const serverErrors = {
  /** A call the node cannot take: the connection is gone, or the node is starting or electing. */
  unavailable: (details = "Connection dropped") => new UnavailableError(status(14, details)),
  /** `requires-leader` sent to a follower: the client reconnects to the leader it names. */
  notLeader: () => new NotLeaderError(status(5, "Leader info available", { "leader-endpoint-host": "127.0.0.2", "leader-endpoint-port": "2113" })),
  streamDeleted: (stream: string) => StreamDeletedError.fromStreamName(stream),
  maxAppendSize: (max: number) => MaxAppendSizeExceededError.fromMaxAppendSize(max),
  /** A non-UUID event id: BatchAppend answers BadRequest, which this client does not know. */
  badRequest: () => new UnknownError(undefined, "Could not recognize BadRequest"),
  /** Reading `$all` from inside a record (or beyond the end, backwards). */
  readAllRefused: (result: "InvalidPosition" | "Error") => new UnknownError(status(2, `Unexpected ReadAllResult: ${result}`)),
  /** A subscription's catch-up read from inside a record. */
  subscriptionInvalidPosition: () => new UnknownError(status(3, "Trying to read from an invalid position.")),
  /** Before 24.2, a live subscriber 32 events behind. */
  consumerTooSlow: () => new TimeoutError(status(10, "Operation timed out: Consumer too slow to handle event while live. Client resubscription required.")),
};
