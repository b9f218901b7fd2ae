import { join } from "node:path";
import type { EventStore } from "../events/eventStore.js";
import type { Logger } from "../logger.js";
import { connectRedis, whenReady } from "../projections/redis/connection.js";
import type { KeyStore } from "./keyStore.js";
import { loadOrCreateMasterKey } from "./masterKey.js";
import { createRedisKeyStore, REDIS_KEY_STORE_PREFIX } from "./redisKeyStore.js";
import { createSqliteKeyStore, KEY_STORE_FILE } from "./sqliteKeyStore.js";
import { openVault, type Vault } from "./vault.js";

export interface KeyStoreLocation {
  readonly dataDir: string;
  /** Set: the key store is in this Redis (shared by every instance); unset: `keys.sqlite` in dataDir. */
  readonly redisUrl: string | undefined;
}

export interface PersonalDataOptions extends KeyStoreLocation {
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

export interface OpenedKeyStore {
  readonly keyStore: KeyStore;
  /** False: Redis did not answer within 5 s (it is retried on use). */
  readonly reachable: boolean;
  close(): Promise<void>;
}

/** The key store the configuration names; `storeId` (the master key's) picks the deployment's own in a shared Redis. */
export async function openKeyStore({ dataDir, redisUrl }: KeyStoreLocation, storeId: string): Promise<OpenedKeyStore> {
  if (!redisUrl) {
    const keyStore = createSqliteKeyStore(join(dataDir, KEY_STORE_FILE));
    return { keyStore, reachable: true, close: () => keyStore.close() };
  }
  const redis = connectRedis(redisUrl);
  const reachable = await whenReady(redis, 5000);
  // One Redis may serve several deployments (each with its own master key): each finds its own key store.
  const keyStore = createRedisKeyStore(redis, `${REDIS_KEY_STORE_PREFIX}:${storeId}`);
  return {
    keyStore,
    reachable,
    async close() {
      await keyStore.close();
      redis.disconnect();
    },
  };
}

/** Opens the key store the configuration names and the vault over it; refuses a lost key store or a wrong master key. */
export async function openPersonalData({ masterKeyFile, log, logger, ...location }: PersonalDataOptions): Promise<PersonalData> {
  const masterKey = await loadOrCreateMasterKey(masterKeyFile, logger);
  const opened = await openKeyStore(location, masterKey.storeId);
  if (!opened.reachable) {
    logger.warn("the key store (Redis) is not reachable yet: personal data is neither read nor written until it is, and the key store is checked then");
  }
  try {
    const vault = await openVault({ keyStore: opened.keyStore, masterKey, log, deferCheck: !opened.reachable });
    return { vault, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}
