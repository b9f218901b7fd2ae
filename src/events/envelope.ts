/** Metadata every event carries; `details` in API responses are derived from it. */
export interface EventMetadata {
  readonly resourceOwner: string;
  readonly instanceId: string;
  readonly editorUser: string;
  /** RFC 3339, set when the event is decided. */
  readonly createdAt: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly schemaVersion: number;
}

/** An event as a command decides it, before the store gives it a place. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  /** uuid; appending the same ids again is a no-op (idempotent append). */
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** An event as every adapter returns it. */
export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  readonly stream: string;
  /** 0-based, per stream. */
  readonly revision: number;
  /** Global, strictly increasing in append order. */
  readonly position: bigint;
}
