import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EventStore } from "../events/eventStore.js";
import { createIdGenerator } from "../ids.js";
import { aesGcmEncryption } from "../crypto/encryption.js";
import { KEY_FILES, readKeyFile } from "../crypto/keyFile.js";
import { appendSigningKey } from "../oauth/keys/signingKeyEvents.js";

/**
 * Adds a new OIDC signing key to the log, encrypted under the instances' key-encryption key
 * (`$DATA_DIR/oidc.key`, which must exist: a key encrypted under any other could sign nowhere).
 * Running instances sign with it within a second; the replaced key stays published until the
 * tokens it signed have expired.
 */
export async function rotateSigningKey(store: EventStore, dataDir: string): Promise<string> {
  const kekFile = join(dataDir, KEY_FILES.oidc);
  if (!existsSync(kekFile)) throw new Error(`no ${KEY_FILES.oidc} in ${dataDir}: start the service there once, or copy the instances' key file there`);
  const keyId = createIdGenerator()();
  await appendSigningKey(store, aesGcmEncryption(await readKeyFile(kekFile)), { keyId, now: new Date(), expectedRevision: "any" });
  return keyId;
}
