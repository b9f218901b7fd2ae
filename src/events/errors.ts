import type { ExpectedRevision, UniqueConstraint } from "./eventStore.js";

/** Optimistic concurrency: the stream moved since it was read. */
export class WrongExpectedRevision extends Error {
  override readonly name = "WrongExpectedRevision";
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | "no_stream",
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** An `add` constraint whose value is already taken (or a `remove` of one that is not). */
export class UniqueConstraintViolation extends Error {
  override readonly name = "UniqueConstraintViolation";
  constructor(readonly constraint: UniqueConstraint) {
    super(`unique constraint ${constraint.name} violated`);
  }
}

/** The backend cannot be reached; the API answers 503 UNAVAILABLE. */
export class EventStoreUnavailable extends Error {
  override readonly name = "EventStoreUnavailable";
}

/** Why the event store refused a call for good: retrying it unchanged cannot succeed. */
export type Refusal =
  /** The store's credentials lack a permission the service needs (a deployment error). */
  | "access_denied"
  /** The aggregate's stream was deleted (tombstoned) in the store by an operator. */
  | "stream_deleted"
  /** The events are larger than the store takes in one append. */
  | "too_large";

/** The event store refused the call and wrote nothing. */
export class EventStoreRefused extends Error {
  override readonly name = "EventStoreRefused";
  constructor(
    readonly refusal: Refusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An event does not match its type's JSON Schema. */
export class InvalidEvent extends Error {
  override readonly name = "InvalidEvent";
}

/**
 * An event that does not fit the state it is applied to: a machine's change on a human, an event
 * before its aggregate's first, a second creation, an event of another aggregate's stream. No
 * command writes one (deciders refuse the command instead); it comes from an import, a log edited
 * by hand, or a bug. Every `evolve` and every reducer throws this, and only this, for such an event:
 * `verify` and `import` refuse it, the projector parks it.
 */
export class EventNotApplicable extends Error {
  override readonly name = "EventNotApplicable";
  constructor(
    readonly eventType: string,
    readonly reason: string,
  ) {
    super(`${eventType} cannot be applied: ${reason}`);
  }
}
