import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fchmodSync, fstatSync, openSync, statSync } from "node:fs";
import { chmod, link, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { Logger } from "./logger.js";

// Everything idledger writes may hold password hashes, token hashes or keys: only its own user reads it.
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

const looser = (mode: number) => (mode & 0o077) !== 0;

/**
 * Creates the data directory 0700, or tightens an existing one to 0700 and every file in it to
 * 0600, saying so (it held password hashes for whoever could read it). A shared directory (sticky,
 * as /tmp) or one we may not change is left as it is, with a warning as loud.
 */
export async function securePrivateDirectory(path: string, logger: Logger): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const directory = await stat(path);
  if (looser(directory.mode)) {
    if (directory.mode & 0o1000) {
      logger.warn("DATA_DIR is a shared directory that others can read; give idledger a directory of its own", { dataDir: path });
    } else {
      await tighten(path, PRIVATE_DIRECTORY_MODE, logger);
    }
  }
  const files = await readdir(path, { withFileTypes: true });
  for (const file of files) {
    if (!file.isFile()) continue;
    const filePath = join(path, file.name);
    if (looser((await stat(filePath)).mode)) await tighten(filePath, PRIVATE_FILE_MODE, logger);
  }
}

async function tighten(path: string, mode: number, logger: Logger): Promise<void> {
  try {
    await chmod(path, mode);
    logger.warn("tightened permissions that let others read idledger's data", { path, mode: mode.toString(8) });
  } catch (error) {
    logger.warn("others can read idledger's data and its permissions could not be tightened", { path, error: String(error) });
  }
}

/**
 * Makes sure a SQLite database file exists with mode 0600 before the driver opens it: SQLite
 * creates a new database 0644 but gives its -wal and -shm files the database file's own mode, so
 * creating it 0600 first keeps all three private. Left-over -wal/-shm files are tightened too.
 */
export function preparePrivateDatabaseFile(path: string): void {
  const fd = openSync(path, "a", PRIVATE_FILE_MODE);
  try {
    if (looser(fstatSync(fd).mode)) fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  for (const sibling of [`${path}-wal`, `${path}-shm`]) {
    const mode = statSync(sibling, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && looser(mode)) chmodSync(sibling, PRIVATE_FILE_MODE);
  }
}

/**
 * Writes a file 0600 whole or not at all (a temporary file, fsync'd, then moved into place).
 * `replace: false` never overwrites: false when the file already existed, so that two processes
 * creating the same key at once end up agreeing on the one that was written first.
 */
export async function writePrivateFile(path: string, content: string, { replace = true }: { replace?: boolean } = {}): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const file = await open(temporary, "wx", PRIVATE_FILE_MODE);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  if (replace) {
    await rename(temporary, path);
    return true;
  }
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temporary);
  }
}

/** A stream into a file that is 0600 whether it is new or was there before (an export holds hashes). */
export async function privateWriteStream(path: string): Promise<Writable> {
  const file = await open(path, "w", PRIVATE_FILE_MODE);
  // Only a regular file: `--out /dev/stdout` must not change the terminal's mode.
  if ((await file.stat()).isFile()) await file.chmod(PRIVATE_FILE_MODE);
  return file.createWriteStream();
}
