import { personalFields } from "../events/personalData.js";
import { eventAad, fieldsTextOpener, SealBroken } from "./sealing.js";
import { KEY_BYTES, unwrapKey } from "./wrapping.js";

/**
 * A batch of sealed events and the keys they open under. `keys` holds 32 bytes per key and each
 * item names its key by index; the keys listed in `wrapped` are still wrapped under `wrappingKey`
 * (as the key store holds them), their 32 bytes in `keys` unused until they are unwrapped.
 * `wrappingKey` is there when `wrapped` holds any.
 */
export interface OpenBatch {
  readonly keys: Uint8Array;
  readonly wrappingKey: Uint8Array | undefined;
  readonly wrapped: readonly (readonly [keyIndex: number, aad: string, wrapped: string])[];
  /** The sealed events, see `BatchItems`. */
  readonly items: BatchItems;
}

/**
 * Per sealed event, at the same index in each: its key's index, its stream and type, and its
 * sealed value (`$enc`). Lists side by side rather than a tuple per event: the batch crosses to
 * the worker as a structured clone, which a tuple per event made twice as dear on both threads.
 */
export interface BatchItems {
  readonly keyIndexes: readonly number[];
  readonly streams: readonly string[];
  readonly types: readonly string[];
  readonly sealed: readonly string[];
}

/**
 * What a batch opens to. `unwrapped`: 32 bytes per entry of `wrapped`, in its order, zeros for one
 * that does not unwrap (it is in `notUnwrapped`, by key index). `opened`: a JSON array with per item
 * the fields it opens to, or, for one that does not open, why (a string, SealBroken's message), or
 * `null` for one whose key did not unwrap. One text, not one per item: one string to copy between
 * threads and one JSON.parse on the other side.
 */
export interface OpenedBatch {
  readonly unwrapped: Uint8Array<ArrayBuffer>;
  readonly notUnwrapped: readonly number[];
  readonly opened: string;
}

/** The one function that opens a batch: on the worker thread, or in place when there is none. */
export function openBatch({ keys, wrappingKey, wrapped, items }: OpenBatch): OpenedBatch {
  const keyAt: (Buffer | undefined)[] = Array.from({ length: keys.byteLength / KEY_BYTES }, (_, index) => Buffer.from(keys.buffer, keys.byteOffset + index * KEY_BYTES, KEY_BYTES));
  const unwrapped = new Uint8Array(wrapped.length * KEY_BYTES);
  const notUnwrapped: number[] = [];
  const wrappingKeyBuffer = wrappingKey && Buffer.from(wrappingKey.buffer, wrappingKey.byteOffset, wrappingKey.byteLength);
  wrapped.forEach(([index, aad, value], i) => {
    const key = wrappingKeyBuffer && unwrapKey(wrappingKeyBuffer, aad, value);
    if (key) unwrapped.set(key, i * KEY_BYTES);
    else notUnwrapped.push(index);
    keyAt[index] = key;
  });
  const openFieldsText = fieldsTextOpener();
  const { keyIndexes, streams, types } = items;
  const opened = items.sealed.map((sealed, i) => {
    const key = keyAt[keyIndexes[i]!];
    if (!key) return "null";
    const type = types[i]!;
    try {
      // Checked here as it is parsed on the other side: a JSON object, nothing else.
      return openFieldsText(key, eventAad(streams[i]!, type), sealed, personalFields[type]?.fields ?? []);
    } catch (error) {
      if (error instanceof SealBroken) return JSON.stringify(error.message);
      throw error;
    }
  });
  return { unwrapped, notUnwrapped, opened: `[${opened.join(",")}]` };
}
