import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { Logger } from "../logger.js";
import { writePrivateFile } from "../privateFiles.js";

const KEY_BYTES = 32;

/** The secret key files' names in DATA_DIR, unless configured elsewhere (src/config.ts). */
export const KEY_FILES = { codes: "codes.key", webhooks: "webhooks.key", oidc: "oidc.key", personalData: "personal-data.key" } as const;

/** Reads a secret key file that must exist (32 bytes, base64, one line). */
export async function readKeyFile(path: string): Promise<Buffer> {
  const key = Buffer.from((await readFile(path, "utf8")).trim(), "base64");
  if (key.length !== KEY_BYTES) throw new Error(`${path} does not hold a ${KEY_BYTES}-byte base64 key`);
  return key;
}

/**
 * Reads a secret key file (32 bytes, base64, one line), creating it at first start: 0600, and
 * exclusively, so that two processes starting together on one directory end up with the same key.
 * Values encrypted under a key need that very file: back it up with the data, and give every
 * instance of a deployment the same one.
 */
export async function loadOrCreateKeyFile(path: string, logger: Logger): Promise<Buffer> {
  await ensureKeyFile(path, logger);
  return readKeyFile(path);
}

/** Creates a key file (as above) unless it exists, and warns when others can read it. */
export async function ensureKeyFile(path: string, logger: Logger): Promise<void> {
  // Read first: a key mounted read-only (a container secret) must not need a writable directory.
  const exists = await stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? false : Promise.reject(error)),
  );
  if (!exists && (await writePrivateFile(path, randomBytes(KEY_BYTES).toString("base64") + "\n", { replace: false }))) {
    logger.info("created a secret key file; back it up with the data", { path });
  }
  const mode = (await stat(path)).mode;
  if (mode & 0o077) logger.warn("a secret key file can be read by others; make it 0600", { path, mode: (mode & 0o777).toString(8) });
}
