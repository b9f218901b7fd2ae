import { randomBytes } from "node:crypto";
import { decrypt, encrypt, SealBroken } from "./sealing.js";

export const KEY_BYTES = 32;
export const SECRET_AAD = "idledger instance secret";
export const subjectAad = (subject: string) => `idledger subject key\0${subject}`;

/** A key (or the instance secret) wrapped under a master key's wrapping key, bound to `aad`. */
export const wrapKey = (wrappingKey: Buffer, aad: string, key: Buffer): string => encrypt(wrappingKey, aad, key.toString("base64"));

export const newWrappedKey = (wrappingKey: Buffer, aad: string): string => wrapKey(wrappingKey, aad, randomBytes(KEY_BYTES));

/** The key, or undefined when `wrappingKey` is not the one that wrapped it (or what it wrapped is not a key). */
export function unwrapKey(wrappingKey: Buffer, aad: string, wrapped: string): Buffer | undefined {
  try {
    const key = Buffer.from(decrypt(wrappingKey, aad, wrapped), "base64");
    return key.length === KEY_BYTES ? key : undefined;
  } catch (error) {
    if (error instanceof SealBroken) return undefined;
    throw error;
  }
}
