import { createHash } from "node:crypto";
import { customAlphabet } from "nanoid";
import * as scryptModule from "scrypt-kdf";
import type { HashedValue } from "../../events/schema.js";
import { verifyImportedHash } from "./importedHashes.js";

// scrypt-kdf 4 ships `export default Scrypt` while its typings declare named exports.
const scryptKdf = (scryptModule as unknown as { default?: typeof scryptModule }).default ?? scryptModule;

const alphanumeric = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 64);
const initCodeAlphabet = customAlphabet("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6);

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

/** ZITADEL's default InitializeUserCode generator: 6 characters, upper-case letters and digits. */
export const newInitializationCode = (): string => initCodeAlphabet();

/** The one-time codes idledger generates, each with ZITADEL's default lifetime (cmd/defaults.yaml). */
const codeLifetimeHours = { initialization: 72, emailVerification: 1, phoneVerification: 1 } as const;
export type CodeKind = keyof typeof codeLifetimeHours;

/**
 * A fresh one-time code as it enters an event: only its hash, and its expiry in nanoseconds.
 * Every code idledger generates for a human comes from here, so how codes are hashed changes in one
 * place. The code itself goes nowhere: idledger has no notification channel to deliver it yet.
 */
export function newHashedCode(kind: CodeKind): { readonly code: HashedValue; readonly expiry: number } {
  return {
    code: { cryptoType: 1, algorithm: "sha256", crypted: sha256Hash(newInitializationCode()) },
    expiry: codeLifetimeHours[kind] * 3600 * 1e9,
  };
}

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
