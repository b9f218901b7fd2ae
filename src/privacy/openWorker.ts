import { parentPort } from "node:worker_threads";
import { decrypt, SealBroken } from "./sealing.js";

/** A batch of sealed values to open: `keys` holds 32 bytes per key, each item names its key by index. */
export interface OpenRequest {
  readonly id: number;
  readonly keys: Uint8Array;
  readonly items: readonly (readonly [keyIndex: number, aad: string, sealed: string])[];
}

/** Per item the plaintext, or `null` for a value that does not open (SealBroken on the caller's side). */
export interface OpenAnswer {
  readonly id: number;
  readonly opened: readonly (string | null)[];
}

// The AES-GCM work of a replay, on a core of its own: only keys and ciphertexts come in, only
// plaintexts go back, and nothing is kept between batches.
parentPort?.on("message", ({ id, keys, items }: OpenRequest) => {
  const key = (index: number) => Buffer.from(keys.buffer, keys.byteOffset + index * 32, 32);
  const opened = items.map(([index, aad, sealed]) => {
    try {
      return decrypt(key(index), aad, sealed);
    } catch (error) {
      if (error instanceof SealBroken) return null;
      throw error;
    }
  });
  parentPort!.postMessage({ id, opened } satisfies OpenAnswer);
});
// Loaded: from now on batches are worth sending.
parentPort?.postMessage("ready");
