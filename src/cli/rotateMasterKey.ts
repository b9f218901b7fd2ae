import { existsSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { formatMasterKey, nextMasterKey, readMasterKeyFile, type MasterKey } from "../privacy/masterKey.js";
import { openKeyStore, type KeyStoreLocation } from "../privacy/openPersonalData.js";
import { rotateKeyStore, RotationRefused, type RotationReport } from "../privacy/rotation.js";
import { KEY_STORE_FILE } from "../privacy/sqliteKeyStore.js";
import { PRIVATE_DIRECTORY_MODE, writePrivateFile } from "../privateFiles.js";

export interface MasterKeyRotation {
  readonly location: KeyStoreLocation;
  /** PERSONAL_DATA_KEY_FILE: the key the store is wrapped under now. */
  readonly currentKeyFile: string;
  /** Created here (0600, exclusively); or, on a rerun, the one an interrupted rotation wrote. */
  readonly newKeyFile: string;
}

/**
 * `idledger rotate-master-key`: writes a new master key file (a new wrapping key, the same
 * userName hash key and store id) and rewraps the key store under it (src/privacy/rotation.ts).
 * The file is durable before the key store names it, so no crash can leave keys wrapped under a
 * key that is nowhere.
 */
export async function rotateMasterKey({ location, currentKeyFile, newKeyFile }: MasterKeyRotation): Promise<RotationReport> {
  if (resolve(currentKeyFile) === resolve(newKeyFile)) throw new RotationRefused("--new-key-file must be another file than the current PERSONAL_DATA_KEY_FILE");
  const current = await readMasterKeyFile(currentKeyFile);
  if (!location.redisUrl && !existsSync(join(location.dataDir, KEY_STORE_FILE))) throw new Error(`no key store at ${join(location.dataDir, KEY_STORE_FILE)}`);
  const { next, nextIsNew } = await newKey(current, newKeyFile);
  const opened = await openKeyStore(location, current.storeId);
  try {
    if (!opened.reachable) throw new Error("the key store (Redis) is not reachable; nothing was changed");
    return await rotateKeyStore({ keyStore: opened.keyStore, current, next, nextIsNew });
  } finally {
    await opened.close();
  }
}

async function newKey(current: MasterKey, path: string): Promise<{ next: MasterKey; nextIsNew: boolean }> {
  if (existsSync(path)) return { next: await readMasterKeyFile(path), nextIsNew: false };
  const next = nextMasterKey(current);
  const directory = dirname(resolve(path));
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (!(await writePrivateFile(path, formatMasterKey(next), { replace: false }))) return { next: await readMasterKeyFile(path), nextIsNew: false };
  // The file's name must survive a power cut before any key is wrapped under it.
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { next, nextIsNew: true };
}
