import { loadConfig } from "./config.js";
import { withEventSchemas } from "./events/validatingStore.js";
import { createLogger } from "./logger.js";
import { securePrivateDirectory } from "./privateFiles.js";
import { reducers } from "./projections/reducers/index.js";
import { connectRedis, whenReady } from "./projections/redis/connection.js";
import { requestRebuild } from "./projections/redis/generations.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "./projections/redis/keys.js";
import { startRedisReadSide } from "./projections/redis/readSide.js";
import { openPersonalData } from "./privacy/openPersonalData.js";
import { withPersonalData } from "./privacy/personalDataStore.js";
import { readModelCipher } from "./privacy/readModelCipher.js";
import { openEventStore } from "./service.js";

// The projector as a process of its own (`npm run projector`), the second composition root: it
// competes for the projection lease like every API instance, and serves nothing.
// `npm run projector -- --rebuild` asks whichever instance holds the lease to rebuild, and exits.
const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
if (!config.redisUrl) {
  logger.error("the projector needs REDIS_URL: with the in-memory read model every API instance projects for itself");
  process.exit(1);
}

if (process.argv.includes("--rebuild")) {
  const redis = connectRedis(config.redisUrl);
  if (!(await whenReady(redis, 5000))) {
    logger.error("Redis is not reachable");
    process.exit(1);
  }
  await requestRebuild(redis, redisKeys(DEFAULT_KEY_PREFIX));
  logger.info("rebuild requested: the lease holder projects the log into a new generation and switches readers over");
  redis.disconnect();
  process.exit(0);
}

await securePrivateDirectory(config.dataDir, logger);
const log = await openEventStore(config, logger);
const personalData = await openPersonalData({ dataDir: config.dataDir, redisUrl: config.redisUrl, masterKeyFile: config.personalDataKeyFile, log, logger });
const store = withEventSchemas(withPersonalData(log, personalData.vault));
const readSide = await startRedisReadSide({
  url: config.redisUrl,
  store,
  subscriptionsSeeAllAppends: config.eventStoreUrl !== undefined,
  reducers,
  runProjector: true,
  leaseMs: config.projectorLeaseMs,
  sharedLogPollMs: config.sharedLogPollMs,
  logger,
  cipher: readModelCipher(personalData.vault),
});
logger.info("projector started", { eventStore: config.eventStoreUrl ? "eventstoredb" : "sqlite", leaseMs: config.projectorLeaseMs });

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping: giving up the lease", { signal });
    readSide
      .close()
      .then(() => store.close())
      .then(() => personalData.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("unclean stop", { error: String(error) });
          process.exit(1);
        },
      );
  });
}
