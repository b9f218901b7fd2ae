import type { KeyStore, Rewrap } from "./keyStore.js";
import type { MasterKey } from "./masterKey.js";
import { MasterKeyMismatch } from "./vault.js";
import { SECRET_AAD, subjectAad, unwrapKey, wrapKey } from "./wrapping.js";

/** The new key file exists but the key store is neither being rotated to it nor rotated to it already. */
export class RotationRefused extends Error {
  override readonly name = "RotationRefused";
}

export interface RotationReport {
  /** Entries rewrapped by this run (a resumed run counts only its own). */
  readonly rewrapped: number;
  /** Entries that were under the new key already (an interrupted run's), or tombstones. */
  readonly untouched: number;
  /** The store was rotated to this key by an earlier run: nothing to do. */
  readonly alreadyDone: boolean;
}

export interface RotationOptions {
  readonly keyStore: KeyStore;
  readonly current: MasterKey;
  readonly next: MasterKey;
  /** False when the next key's file was there before this run: then only an interrupted rotation to it may go on. */
  readonly nextIsNew: boolean;
  readonly batchSize?: number;
}

/**
 * Rewraps every key of the key store from `current` to `next`, resumably: (1) the instance secret
 * wrapped under `next` is recorded beside the current one, which fences off key creation (no
 * process can add a key under either key meanwhile) and makes every start refuse the store
 * (MasterKeyRotationUnfinished); (2) each entry is rewrapped, compare-and-set, in batches; one
 * already under `next` is left alone, so a rerun after a crash goes on where it stopped; (3) the
 * secret becomes the `next` one and the fence lifts: from then on only `next` opens the store.
 * The userName hash key and the store id are the same in both keys, so nothing else changes.
 */
export async function rotateKeyStore({ keyStore, current, next, nextIsNew, batchSize = 500 }: RotationOptions): Promise<RotationReport> {
  if (!current.uniqueHashKey.equals(next.uniqueHashKey) || current.storeId !== next.storeId) {
    throw new RotationRefused("the new key file belongs to another deployment (its userName hash key or store id differs from the current key's)");
  }
  const secret = await keyStore.instanceSecret();
  if (secret === undefined) throw new Error("the key store is empty (or, with Redis, holds no key store for this master key): there is nothing to rotate");
  if (secret.next === undefined && unwrapKey(next.wrapping, SECRET_AAD, secret.wrapped)) return { rewrapped: 0, untouched: 0, alreadyDone: true };
  const plainSecret = unwrapKey(current.wrapping, SECRET_AAD, secret.wrapped);
  if (!plainSecret) throw new MasterKeyMismatch("the current master key (PERSONAL_DATA_KEY_FILE) does not open the key store: it is not the key that wrote it");
  let nextSecret: string;
  if (secret.next !== undefined) {
    if (!unwrapKey(next.wrapping, SECRET_AAD, secret.next)) {
      throw new RotationRefused("the key store is being rotated to another new key: run again with the new key file that rotation wrote");
    }
    nextSecret = secret.next;
  } else {
    if (!nextIsNew) throw new RotationRefused("the new key file exists already and the key store is not being rotated to it: give a path that does not exist (delete that file only if it is the unused one of a run that stopped before it began)");
    nextSecret = wrapKey(next.wrapping, SECRET_AAD, plainSecret);
    if (!(await keyStore.beginRotation(secret.wrapped, nextSecret))) throw new Error("the key store changed while the rotation began: run it again");
  }

  let rewrapped = 0;
  let untouched = 0;
  let batch: Rewrap[] = [];
  const flush = async () => {
    // An entry that no longer holds `from` was erased meanwhile: the tombstone stands, nothing to rewrap.
    rewrapped += await keyStore.rewrap(batch);
    batch = [];
  };
  for await (const [subject, entry] of keyStore.entries()) {
    if (entry.state === "erased" || unwrapKey(next.wrapping, subjectAad(subject), entry.wrapped)) {
      untouched++;
      continue;
    }
    const key = unwrapKey(current.wrapping, subjectAad(subject), entry.wrapped);
    if (!key) throw new MasterKeyMismatch(`user ${subject}'s key opens under neither the current nor the new master key: the key store is damaged; nothing was finished`);
    batch.push({ subject, from: entry.wrapped, to: wrapKey(next.wrapping, subjectAad(subject), key) });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  if (!(await keyStore.finishRotation(nextSecret))) throw new Error("the key store changed while the rotation finished: run it again");
  return { rewrapped, untouched, alreadyDone: false };
}
