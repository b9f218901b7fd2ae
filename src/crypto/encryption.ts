import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { CryptoValue } from "./cryptoValue.js";

/** A value that cannot be decrypted here: encrypted under another key, altered, or not encrypted at all. */
export class DecryptionFailed extends Error {
  override readonly name = "DecryptionFailed";
}

/**
 * ZITADEL's EncryptionAlgorithm over one key: AES-256-GCM (authenticated, so an altered value is
 * refused rather than decrypted to garbage), a fresh 12-byte IV per value.
 */
export interface Encryption {
  /** The first 8 hex digits of the key's SHA-256: says which key a value needs, reveals nothing of it. */
  readonly keyId: string;
  encrypt(plaintext: string): CryptoValue;
  /** Throws DecryptionFailed unless the value was encrypted under this very key. */
  decrypt(value: CryptoValue): string;
}

const ALGORITHM = "aes-256-gcm";

export function aesGcmEncryption(key: Buffer): Encryption {
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 8);
  return {
    keyId,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      const crypted = Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return { CryptoType: 0, Algorithm: ALGORITHM, KeyID: keyId, Crypted: crypted.toString("base64") };
    },
    decrypt(value) {
      if (value.CryptoType !== 0 || value.Algorithm !== ALGORITHM) throw new DecryptionFailed(`not an ${ALGORITHM} value`);
      if (value.KeyID !== keyId) throw new DecryptionFailed(`encrypted under key ${value.KeyID}, this instance has ${keyId}`);
      const bytes = Buffer.from(value.Crypted, "base64");
      try {
        const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(-16));
        return Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString("utf8");
      } catch {
        throw new DecryptionFailed(`the value does not decrypt under key ${keyId}`);
      }
    },
  };
}
