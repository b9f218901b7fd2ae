import type { NewEvent, RecordedEvent } from "./envelope.js";

/** `"no_stream"`: the stream must not exist; a number: the revision of its last event; `"any"`: no check. */
export type ExpectedRevision = "no_stream" | "any" | number;

/**
 * A claim on a value that must be unique across the whole log (e.g. a lower-cased userName),
 * taken or released in the same append as the events that need it.
 */
export interface UniqueConstraint {
  readonly action: "add" | "remove";
  /** The namespace, e.g. `usernames`. */
  readonly name: string;
  readonly value: string;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  readonly uniqueConstraints?: readonly UniqueConstraint[];
}

export interface AppendResult {
  /** The appended events, with stream, revision and position filled in. */
  readonly events: readonly RecordedEvent[];
  /** Revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
}

export interface ReadAllOptions {
  /**
   * Exclusive bound. Forwards: events with position > from (default: from the beginning).
   * Backwards: events with position < from (default: from the end). Any value is allowed, not
   * only an event's position (clients send these).
   */
  readonly from?: bigint;
  readonly maxCount?: number;
  /** Default `"forwards"` (oldest first); `"backwards"` reads newest first without reading the rest of the log. */
  readonly direction?: "forwards" | "backwards";
}

export interface ReadStreamOptions {
  /** Forwards only: the first revision read (default 0). */
  readonly fromRevision?: number;
  readonly maxCount?: number;
  /** Default `"forwards"`; `"backwards"` reads from the stream's end. */
  readonly direction?: "forwards" | "backwards";
}

export interface SubscribeOptions {
  /** Exclusive, any value as for `readAll`. Default: from the beginning. */
  readonly from?: bigint;
  /**
   * Only events it accepts are handed out: the others pass by without waking the consumer (an idle
   * event stream costs one call per event, not a turn of the event loop). It sees events as stored,
   * before upcasting: decide on the envelope, and on payload fields whose meaning no version changed.
   */
  readonly filter?: (event: RecordedEvent) => boolean;
}

export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/**
 * The event store port. Every adapter passes `test/contract/eventStore.ts`.
 * Adapters translate their driver's errors into `WrongExpectedRevision`,
 * `UniqueConstraintViolation`, `EventStoreRefused` and `EventStoreUnavailable` (src/events/errors.ts).
 */
export interface EventStore {
  /**
   * Appends atomically: all events and constraints, or nothing. Idempotent as EventStoreDB is:
   * the same events (same ids, same order) appended again with the same expected revision, a
   * number or `no_stream`, return the original result and write nothing, however much the stream
   * grew since. With `any` there is no such promise: a retry may write the events again. After
   * `EventStoreUnavailable` the append may or may not have happened.
   */
  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Throws `UniqueConstraintViolation` for the first `add` among `constraints` whose value another
   * stream than `stream` holds as of the appends committed so far (and no earlier `remove` in the
   * list gives back); writes nothing. A check, not a claim: for work that a refused append would
   * waste (a new user's key), done right before the append, which alone decides. It is looser
   * than the append (a stream adding a value it holds, a remove of a free value pass), and it does
   * not know what the append knows: a retry of an append that happened already (which the append
   * answers with its first result), and appends in flight. So it is for callers that append fresh
   * event ids and wait for what they depend on (src/privacy/claimsInTurn.ts).
   */
  checkUnique(stream: string, constraints: readonly UniqueConstraint[]): Promise<void>;
  /**
   * The stream's events in revision order from `fromRevision`, or with `direction: "backwards"`
   * its last ones, newest first; at most `maxCount` (a bound for readers of a long stream: a user's
   * history has no length limit). `[]` when it does not exist (`EventStoreRefused` when it was deleted).
   */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in position order (or its reverse). */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /**
   * Catches up from `from` (exclusive, any value as for `readAll`), then follows new appends until
   * closed. It never ends by itself: when the store drops it, the iteration throws
   * `EventStoreUnavailable`, and a new subscription from the last position seen carries on.
   */
  subscribe(options?: SubscribeOptions): Subscription;
  /** Position of the last appended event, `0n` when the log is empty. */
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}
