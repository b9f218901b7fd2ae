import { createHash } from "node:crypto";
import { join } from "node:path";
import { loadOrCreateKeyFile } from "../crypto/keyFile.js";
import type { EventStore } from "../events/eventStore.js";
import type { Logger } from "../logger.js";
import { connectRedis, whenReady } from "../projections/redis/connection.js";
import type { KeyStore } from "./keyStore.js";
import { createRedisKeyStore, REDIS_KEY_STORE_PREFIX } from "./redisKeyStore.js";
import { createSqliteKeyStore, KEY_STORE_FILE } from "./sqliteKeyStore.js";
import { openVault, type Vault } from "./vault.js";

export interface PersonalDataOptions {
  readonly dataDir: string;
  /** Set: the key store is in this Redis (shared by every instance); unset: `keys.sqlite` in dataDir. */
  readonly redisUrl: string | undefined;
  /** The master key's file (created 0600 at first start). */
  readonly masterKeyFile: string;
  /** The raw log, without the schema check: checked once against a new key store. */
  readonly log: EventStore;
  readonly logger: Logger;
}

export interface PersonalData {
  readonly vault: Vault;
  close(): Promise<void>;
}

/** Opens the key store the configuration names and the vault over it; refuses a lost key store or a wrong master key. */
export async function openPersonalData({ dataDir, redisUrl, masterKeyFile, log, logger }: PersonalDataOptions): Promise<PersonalData> {
  const masterKey = await loadOrCreateKeyFile(masterKeyFile, logger);
  let keyStore: KeyStore;
  let disconnect = () => {};
  let deferCheck = false;
  if (redisUrl) {
    const redis = connectRedis(redisUrl);
    disconnect = () => redis.disconnect();
    if (!(await whenReady(redis, 5000))) {
      logger.warn("the key store (Redis) is not reachable yet: personal data is neither read nor written until it is, and the key store is checked then");
      deferCheck = true;
    }
    // One Redis may serve several deployments (each with its own master key): each finds its own key store.
    keyStore = createRedisKeyStore(redis, `${REDIS_KEY_STORE_PREFIX}:${createHash("sha256").update(masterKey).digest("hex").slice(0, 16)}`);
  } else {
    keyStore = createSqliteKeyStore(join(dataDir, KEY_STORE_FILE));
  }
  try {
    const vault = await openVault({ keyStore, masterKey, log, deferCheck });
    return {
      vault,
      async close() {
        await keyStore.close();
        disconnect();
      },
    };
  } catch (error) {
    await keyStore.close();
    disconnect();
    throw error;
  }
}
