import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { EncryptedValue } from "../../events/webhook.js";
import { writePrivateFile } from "../../privateFiles.js";

/**
 * Signing keys must be usable to sign, so the log holds them encrypted (AES-256-GCM) under a
 * key-encryption key kept beside the log, never in it: an export, a subscriber or an audit
 * answer never carries a usable key.
 */
export interface KeyEncryption {
  encrypt(plaintext: string): EncryptedValue;
  decrypt(value: EncryptedValue): string;
}

export function keyEncryption(key: Buffer): KeyEncryption {
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 8);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const crypted = Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return { cryptoType: 0, algorithm: "aes-256-gcm", keyId, crypted: crypted.toString("base64") };
    },
    decrypt(value) {
      if (value.keyId !== keyId) throw new Error(`signing key encrypted under key ${value.keyId}, this instance has ${keyId}`);
      const bytes = Buffer.from(value.crypted, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(-16));
      return Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString("utf8");
    },
  };
}

/** Reads the key-encryption key, creating it (32 random bytes, mode 0600) at first start. */
export async function loadOrCreateKey(path: string): Promise<Buffer> {
  await writePrivateFile(path, randomBytes(32).toString("base64") + "\n", { replace: false });
  return Buffer.from((await readFile(path, "utf8")).trim(), "base64");
}

export const newSigningKey = (): string => randomBytes(32).toString("base64url");

/** ZITADEL's Actions v2 signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signature(signingKey: string, body: string, unixSeconds: number): string {
  const mac = createHmac("sha256", signingKey).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}
