/**
 * Domain errors, as ZITADEL's `zerrors`: a category (which becomes the gRPC code), a stable id
 * that travels to the client in `details`, and a message. Every id is listed in docs/errors.md;
 * test/unit/errors.test.ts fails when one is not.
 */
export type ErrorCategory =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "PermissionDenied"
  | "PreconditionFailed"
  | "Unauthenticated"
  | "Unimplemented"
  | "Unavailable"
  | "Internal";

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly category: ErrorCategory,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const error = (category: ErrorCategory) => (id: string, message: string) => new DomainError(category, id, message);

export const invalidArgument = error("InvalidArgument");
export const notFound = error("NotFound");
export const alreadyExists = error("AlreadyExists");
export const permissionDenied = error("PermissionDenied");
export const preconditionFailed = error("PreconditionFailed");
export const unauthenticated = error("Unauthenticated");
export const unimplemented = error("Unimplemented");
export const unavailable = error("Unavailable");
export const internal = error("Internal");
