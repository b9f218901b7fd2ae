/** What the key store holds for one data subject (a user). */
export type SubjectKeyEntry =
  | { readonly state: "active"; readonly wrapped: string }
  /** Erasure has begun (a removal or erasure was decided): the key still exists, and is used, until the erasure event is in the log. */
  | { readonly state: "erasing"; readonly wrapped: string }
  /** The key is gone for good; only this tombstone says so (a missing entry is a lost key, not an erased one). */
  | { readonly state: "erased" };

/**
 * A random value wrapped under the master key when the store was created: its presence tells a
 * lost key store from a new one, and it opens only under the right master key. While a master-key
 * rotation runs, `next` holds it wrapped under the next key.
 */
export interface InstanceSecret {
  readonly wrapped: string;
  readonly next?: string;
}

/** One entry of a rotation: rewrapped only if it still holds `from` (an erasure meanwhile wins). */
export interface Rewrap {
  readonly subject: string;
  readonly from: string;
  readonly to: string;
}

/**
 * The key store port: one data key per subject, wrapped under the master key, kept outside the
 * event log because it must be deletable. Adapters: SQLite (embedded) and Redis (shared).
 */
export interface KeyStore {
  get(subject: string): Promise<SubjectKeyEntry | undefined>;
  /** The entries of many subjects in one round trip (a replay's); subjects without one are absent. */
  getMany(subjects: readonly string[]): Promise<Map<string, SubjectKeyEntry>>;
  /**
   * Stores `wrapped` unless the subject has an entry already; returns the entry that stands.
   * Only while the instance secret is still `fence` and no rotation runs: else undefined, as a
   * process whose master key was rotated away must not wrap a key under it.
   */
  create(subject: string, wrapped: string, fence: string): Promise<SubjectKeyEntry | undefined>;
  /** active -> erasing, for good; an entry in any other state is left as it is. */
  markErasing(subject: string): Promise<void>;
  /** Drops the key, leaving the tombstone, and makes the adapter forget the key's bytes where it can. */
  erase(subject: string): Promise<void>;
  /** Subjects whose erasure began and did not finish (a crash in between, or a removal whose append failed). */
  erasing(): Promise<string[]>;
  instanceSecret(): Promise<InstanceSecret | undefined>;
  /** Stores the instance secret unless one is there already; returns the one that stands. */
  createInstanceSecret(wrapped: string): Promise<InstanceSecret>;

  // A master-key rotation (src/privacy/rotation.ts): begin, rewrap every entry, finish.
  /** Records `next` beside the secret, if the secret is still `current` and no rotation to another key runs. */
  beginRotation(current: string, next: string): Promise<boolean>;
  /** Every entry, paged: a store of any size is walked in bounded memory. */
  entries(): AsyncIterable<readonly [string, SubjectKeyEntry]>;
  /** Applies each rewrap whose entry still holds `from`, keeping its state; returns how many did. */
  rewrap(changes: readonly Rewrap[]): Promise<number>;
  /** The secret becomes `next` and the rotation ends, if `next` is the rotation's; old copies of the entries are dropped where the adapter can. */
  finishRotation(next: string): Promise<boolean>;
  close(): Promise<void>;
}
