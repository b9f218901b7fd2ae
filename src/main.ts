import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startService } from "./service.js";

// The composition root: the only place that reads process.env.
const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);

const service = await startService(config, logger).catch((error: unknown) => {
  logger.error("idledger failed to start", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info("draining", { signal });
    service.close().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error("unclean stop", { error: String(error) });
        process.exit(1);
      },
    );
  });
}
