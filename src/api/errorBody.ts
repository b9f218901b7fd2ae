import { DomainError, StatusError, type ErrorCategory, type ErrorName } from "../errors.js";
import { EventStoreRefused, EventStoreUnavailable, type Refusal } from "../events/errors.js";
import { MasterKeyMismatch } from "../privacy/vault.js";

/** gRPC codes of the categories (ZITADEL's gerrors.extractError). */
export const grpcCodes: Readonly<Record<ErrorCategory, number>> = {
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  PreconditionFailed: 9,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
  ResourceExhausted: 8,
};

/** grpc-gateway's HTTP status for a gRPC code. */
const httpStatuses: Readonly<Record<number, number>> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 12: 501, 13: 500, 14: 503, 16: 401 };

export interface WireError {
  readonly category: ErrorCategory;
  readonly code: number;
  readonly httpStatus: number;
  /** `"<message> (<id>)"` for errors with an id, as ZITADEL's gerrors builds it. */
  readonly message: string;
  readonly detail?: { readonly id: string; readonly message: string };
}

/**
 * The one place where errors become what the wire carries. Anything unexpected is INTERNAL with
 * a fixed message: no stack trace or driver text ever leaves the process (the caller logs it).
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof DomainError) {
    return wire(error.category, `${error.message} (${error.id})`, { id: error.id, message: error.message });
  }
  if (error instanceof StatusError) return wire(error.category, error.message);
  if (error instanceof EventStoreUnavailable) return toWireError(new DomainError("unavailable"));
  // An instance still on the master key a rotation replaced: another instance (or this one,
  // restarted with the new key file) can serve the request, so the client may retry. The cause
  // goes to the log line only.
  if (error instanceof MasterKeyMismatch) return toWireError(new DomainError("unavailable"));
  if (error instanceof EventStoreRefused) return toWireError(new DomainError(refusals[error.refusal]));
  return toWireError(new DomainError("internal"));
}

const refusals: Readonly<Record<Refusal, ErrorName>> = {
  access_denied: "eventStoreAccessDenied",
  stream_deleted: "streamDeleted",
  too_large: "eventsTooLarge",
};

function wire(category: ErrorCategory, message: string, detail?: WireError["detail"]): WireError {
  const code = grpcCodes[category];
  return { category, code, httpStatus: httpStatuses[code] ?? 500, message, ...(detail ? { detail } : {}) };
}

/** The REST body: google.rpc.Status as protojson, details as `zitadel.v1.ErrorDetail`. */
export const restErrorBody = (error: WireError) => ({
  code: error.code,
  message: error.message,
  details: error.detail ? [{ "@type": "type.googleapis.com/zitadel.v1.ErrorDetail", ...error.detail }] : [],
});
