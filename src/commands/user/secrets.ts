import { createHash } from "node:crypto";
import { customAlphabet } from "nanoid";
import * as scryptModule from "scrypt-kdf";
import type { CodeGeneratorConfig } from "../../crypto/codes.js";
import { verifyImportedHash } from "./importedHashes.js";

// scrypt-kdf 4 ships `export default Scrypt` while its typings declare named exports.
const scryptKdf = (scryptModule as unknown as { default?: typeof scryptModule }).default ?? scryptModule;

const alphanumeric = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 64);

/**
 * A fast hash is right for values we generate ourselves: 64 random alphanumeric characters carry
 * ~381 bits of entropy, so a slow KDF adds nothing against guessing and only costs CPU on every
 * client-credentials check. Passwords, chosen by people, get scrypt instead.
 */
export const sha256Hash = (value: string): string => `sha256:${createHash("sha256").update(value).digest("hex")}`;

/** A machine user's client secret: returned once, only its hash is kept. */
export const newClientSecret = (): string => alphanumeric();

/** A personal access token: returned once, only its hash is kept. */
export const newPersonalAccessToken = (): string => alphanumeric();

/**
 * ZITADEL's default InitializeUserCode generator: 6 characters valid for 72 hours, upper-case
 * letters and digits (here without the look-alikes I, O, 0 and 1). Only ~2^30 codes, so the event
 * holds it encrypted (src/crypto/codes.ts), never hashed.
 */
export const initializationCodes: CodeGeneratorConfig = { length: 6, alphabet: "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", expiryMs: 72 * 3600_000 };

/**
 * Every one-time code idledger generates, by kind, with ZITADEL's default generators
 * (cmd/defaults.yaml: 6 characters; email and phone verification codes valid for an hour).
 */
export const codeKinds = {
  initialization: initializationCodes,
  emailVerification: { ...initializationCodes, expiryMs: 3600_000 },
  phoneVerification: { ...initializationCodes, expiryMs: 3600_000 },
} as const satisfies Record<string, CodeGeneratorConfig>;

export type CodeKind = keyof typeof codeKinds;

export interface PasswordHashing {
  /** scrypt cost parameter (log2 N); 15 is scrypt-kdf's recommendation for interactive logins. */
  readonly logN: number;
}

export async function hashPassword(password: string, { logN }: PasswordHashing): Promise<string> {
  const key = await scryptKdf.kdf(password, { logN, r: 8, p: 1 });
  return `scrypt:${Buffer.from(key).toString("base64")}`;
}

/** Reads idledger's own hashes and every encoding ImportHumanUser accepts (src/commands/user/importedHashes.ts). */
export async function verifyPassword(password: string, encodedHash: string): Promise<boolean> {
  if (!encodedHash.startsWith("scrypt:")) return verifyImportedHash(password, encodedHash);
  return scryptKdf.verify(Buffer.from(encodedHash.slice("scrypt:".length), "base64"), password);
}
