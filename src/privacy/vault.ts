import { createHmac } from "node:crypto";
import type { EventStore } from "../events/eventStore.js";
import { SEALED } from "../events/personalData.js";
import type { KeyStore } from "./keyStore.js";
import type { MasterKey } from "./masterKey.js";
import { newWrappedKey, SECRET_AAD, subjectAad, unwrapKey } from "./wrapping.js";

/** The key store is missing (or was replaced by an empty one) while the log holds sealed events. */
export class KeyStoreLost extends Error {
  override readonly name = "KeyStoreLost";
}

/** The master key does not open the key store: another PERSONAL_DATA_KEY_FILE than the one that wrote it. */
export class MasterKeyMismatch extends Error {
  override readonly name = "MasterKeyMismatch";
}

/** A master-key rotation began and did not finish: neither key opens the whole key store until it does. */
export class MasterKeyRotationUnfinished extends Error {
  override readonly name = "MasterKeyRotationUnfinished";
}

/** A user's events are sealed but the key store has neither its key nor a record of its erasure. */
export class SubjectKeyMissing extends Error {
  override readonly name = "SubjectKeyMissing";
}

export type SubjectKey = Buffer | "erased";

/** A subject's key as the key store holds it: to be unwrapped under `wrappingKey` with `aad` where its events are opened. */
export interface WrappedKey {
  readonly wrappingKey: Buffer;
  readonly aad: string;
  readonly wrapped: string;
}

export interface VaultOptions {
  readonly keyStore: KeyStore;
  /** Wraps every key in the key store; keys the userName hashes. */
  readonly masterKey: MasterKey;
  /** The raw log (no schema check in front): scanned once, only when the key store is new, for events it could not open. */
  readonly log: EventStore;
  /** How long an unwrapped key is kept in memory: an erasure on another instance takes effect here within this. */
  readonly cacheTtlMs?: number;
  readonly maxCachedKeys?: number;
  /** The key store is not reachable now: check it (and fail on a lost one) at first use instead of here. */
  readonly deferCheck?: boolean;
}

/** Keys of data subjects, unwrapped on demand and cached (keys only, never what they open). */
export interface Vault {
  readonly keyStore: KeyStore;
  /** The key if it is in the cache: no await on the hot path of a rebuild. */
  cached(subject: string): SubjectKey | undefined;
  /** The subject's key; `create` gives it one when it has none, else `undefined` for none. */
  key(subject: string, create: boolean): Promise<SubjectKey | undefined>;
  /**
   * The keys of these subjects that are not cached, in one read of the key store (a replay's
   * chunk), still wrapped: they are unwrapped with the chunk's events (on the worker) and come back
   * through `adopt`. Erased ones are cached as such; subjects the key store has nothing for are absent.
   */
  prefetch(subjects: Iterable<string>): Promise<Map<string, WrappedKey>>;
  /** A prefetched key, unwrapped: cached, unless the subject was erased meanwhile. */
  adopt(subject: string, key: Buffer): void;
  /** For reading sealed data: a missing entry is a lost key, never an erased one (SubjectKeyMissing). */
  keyToOpen(subject: string): Promise<SubjectKey>;
  /** HMAC-SHA256 under the master key's stable hash key, hex: what unique-constraint tables hold instead of a userName. */
  hashUnique(value: string): string;
  /** The subject was erased: drop its key from the cache at once. */
  forget(subject: string): void;
}

/** A key of the key store does not unwrap under the master key. */
export const masterKeyMismatch = () => new MasterKeyMismatch("the master key (PERSONAL_DATA_KEY_FILE) does not open the key store: it is not the key that wrote it");

export async function openVault({ keyStore, masterKey, log, cacheTtlMs = 10_000, maxCachedKeys = 100_000, deferCheck = false }: VaultOptions): Promise<Vault> {
  const unwrap = (aad: string, wrapped: string) => {
    const key = unwrapKey(masterKey.wrapping, aad, wrapped);
    if (!key) throw masterKeyMismatch();
    return key;
  };
  // The wrapped secret this process opened: key creation is fenced on it (KeyStore.create).
  const init = async (): Promise<string> => {
    let secret = await keyStore.instanceSecret();
    if (secret === undefined) {
      if (await holdsSealedEvents(log)) {
        throw new KeyStoreLost(
          "the key store is empty but the log holds encrypted personal data: the key store was lost or replaced (or, with Redis, the master key is not the one that wrote it). Restore it from a backup; starting without it would serve every user as erased",
        );
      }
      secret = await keyStore.createInstanceSecret(newWrappedKey(masterKey.wrapping, SECRET_AAD));
    }
    if (secret.next !== undefined) {
      throw new MasterKeyRotationUnfinished(
        "a master key rotation of the key store began and did not finish: run `idledger rotate-master-key --new-key-file PATH` again with the same current key file and the same new key file to finish it (docs/privacy.md)",
      );
    }
    unwrap(SECRET_AAD, secret.wrapped);
    return secret.wrapped;
  };
  // Checked at once when the key store answers; when it does not (Redis not up yet), at first use,
  // and again after each failure, so that the service recovers when it comes back.
  let secret: Promise<string> | undefined;
  const checked = () =>
    (secret ??= init().catch((error: unknown) => {
      secret = undefined;
      throw error;
    }));
  if (!deferCheck) await checked();

  const cache = new Map<string, { readonly key: SubjectKey; readonly until: number }>();
  const remember = (subject: string, key: SubjectKey) => {
    if (cache.size >= maxCachedKeys) cache.delete(cache.keys().next().value!);
    cache.set(subject, { key, until: key === "erased" ? Infinity : Date.now() + cacheTtlMs });
    return key;
  };
  const load = async (subject: string, create: boolean): Promise<SubjectKey | undefined> => {
    const fence = await checked();
    let entry = await keyStore.get(subject);
    if (!entry && create) {
      entry = await keyStore.create(subject, newWrappedKey(masterKey.wrapping, subjectAad(subject)), fence);
      if (!entry) throw new MasterKeyMismatch("the master key of the key store was rotated (or is being rotated) since this process started: restart it with the new PERSONAL_DATA_KEY_FILE");
    }
    if (!entry) return undefined;
    return remember(subject, entry.state === "erased" ? "erased" : unwrap(subjectAad(subject), entry.wrapped));
  };

  const cached = (subject: string): SubjectKey | undefined => {
    const hit = cache.get(subject);
    if (!hit) return undefined;
    if (hit.until >= Date.now()) return hit.key;
    cache.delete(subject);
    return undefined;
  };
  const key = async (subject: string, create: boolean) => cached(subject) ?? load(subject, create);

  const prefetch = async (subjects: Iterable<string>) => {
    const found = new Map<string, WrappedKey>();
    const missing = [...new Set(subjects)].filter((subject) => cached(subject) === undefined);
    if (missing.length === 0) return found;
    await checked();
    for (const [subject, entry] of await keyStore.getMany(missing)) {
      if (entry.state === "erased") remember(subject, "erased");
      else found.set(subject, { wrappingKey: masterKey.wrapping, aad: subjectAad(subject), wrapped: entry.wrapped });
    }
    return found;
  };

  return {
    keyStore,
    cached,
    key,
    prefetch,
    adopt(subject, unwrapped) {
      if (cached(subject) !== "erased") remember(subject, unwrapped);
    },
    async keyToOpen(subject) {
      const found = await key(subject, false);
      if (found === undefined) {
        throw new SubjectKeyMissing(`the key store has no key for user ${subject} and no record of its erasure: it is incomplete (restored from an older backup?)`);
      }
      return found;
    },
    hashUnique(value) {
      // The stable hash key: claiming a userName needs no key store (the first start's setup appends before Redis may be up).
      return createHmac("sha256", masterKey.uniqueHashKey).update(value).digest("hex");
    },
    forget(subject) {
      remember(subject, "erased");
    },
  };
}

async function holdsSealedEvents(log: EventStore): Promise<boolean> {
  for await (const event of log.readAll()) {
    if (typeof event.data === "object" && event.data !== null && SEALED in event.data) return true;
  }
  return false;
}
