import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ensureKeyFile } from "../crypto/keyFile.js";
import type { Logger } from "../logger.js";

const KEY_BYTES = 32;
const STORE_ID = /^[0-9a-f]{16}$/;

/**
 * What PERSONAL_DATA_KEY_FILE gives: the key that wraps the key store, plus two values derived
 * once from the first master key that must never change, because what they made outlives a
 * rotation: userName hashes sit in the log's unique constraints for ever, and a shared Redis finds
 * the deployment's key store by its id.
 */
export interface MasterKey {
  /** Wraps every key in the key store; the one part a rotation replaces. */
  readonly wrapping: Buffer;
  /** The HMAC key of the userName hashes in unique constraints. */
  readonly uniqueHashKey: Buffer;
  /** Names the deployment's key store in a Redis shared by several deployments. */
  readonly storeId: string;
}

/** The format a rotation writes (one JSON line); the first start writes the 32-byte form, read as version 1. */
interface MasterKeyFileV2 {
  readonly version: 2;
  readonly wrappingKey: string;
  readonly uniqueHashKey: string;
  readonly storeId: string;
}

/** Version 1 (32 bytes, base64, one line): both stable values derive from the key itself, as they always did. */
function fromFirstKey(key: Buffer): MasterKey {
  return {
    wrapping: key,
    uniqueHashKey: Buffer.from(hkdfSync("sha256", key, "", "idledger unique value hash", KEY_BYTES)),
    storeId: createHash("sha256").update(key).digest("hex").slice(0, 16),
  };
}

const key32 = (base64: unknown): Buffer | undefined => {
  if (typeof base64 !== "string") return undefined;
  const bytes = Buffer.from(base64, "base64");
  return bytes.length === KEY_BYTES ? bytes : undefined;
};

/** Reads either version; the message names the file, never its content. */
export function parseMasterKey(text: string, path: string): MasterKey {
  const line = text.trim();
  if (!line.startsWith("{")) {
    const key = key32(line);
    if (!key) throw new Error(`${path} does not hold a ${KEY_BYTES}-byte base64 key`);
    return fromFirstKey(key);
  }
  let file: Partial<MasterKeyFileV2>;
  try {
    file = JSON.parse(line) as Partial<MasterKeyFileV2>;
  } catch {
    throw new Error(`${path} is not a master key file (neither a base64 key nor a JSON line)`);
  }
  const wrapping = key32(file.wrappingKey);
  const uniqueHashKey = key32(file.uniqueHashKey);
  if (file.version !== 2 || !wrapping || !uniqueHashKey || typeof file.storeId !== "string" || !STORE_ID.test(file.storeId)) {
    throw new Error(`${path} is not a version 2 master key file (version, wrappingKey, uniqueHashKey, storeId)`);
  }
  return { wrapping, uniqueHashKey, storeId: file.storeId };
}

export function formatMasterKey(key: MasterKey): string {
  const file: MasterKeyFileV2 = { version: 2, wrappingKey: key.wrapping.toString("base64"), uniqueHashKey: key.uniqueHashKey.toString("base64"), storeId: key.storeId };
  return JSON.stringify(file) + "\n";
}

/** The next master key of a rotation: a new wrapping key, the same stable values. */
export const nextMasterKey = (current: MasterKey): MasterKey => ({ ...current, wrapping: randomBytes(KEY_BYTES) });

export async function readMasterKeyFile(path: string): Promise<MasterKey> {
  return parseMasterKey(await readFile(path, "utf8"), path);
}

/** The service's master key, created (32 bytes, 0600, exclusively) at first start as every key file. */
export async function loadOrCreateMasterKey(path: string, logger: Logger): Promise<MasterKey> {
  await ensureKeyFile(path, logger);
  return readMasterKeyFile(path);
}
