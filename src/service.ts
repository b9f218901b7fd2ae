import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AddressInfo, Server } from "node:net";
import { createApp } from "./api/app.js";
import { nonRpcHandler } from "./api/connect/fallback.js";
import { rpcHandler } from "./api/connect/service.js";
import { createListener } from "./api/listener.js";
import { requestLog } from "./api/requestLog.js";
import { createAdminMethods } from "./api/methods/admin.js";
import { createManagementMethods } from "./api/methods/management.js";
import { createAuditLog } from "./audit/auditLog.js";
import { userAccess } from "./auth/userAccess.js";
import { createCommands, SYSTEM_USER_ID } from "./commands/commands.js";
import { setupInstance } from "./commands/instance/setup.js";
import { codeKinds, type CodeKind } from "./commands/user/secrets.js";
import type { Config } from "./config.js";
import { codeGenerator, type CodeGenerator } from "./crypto/codes.js";
import { aesGcmEncryption, type Encryption } from "./crypto/encryption.js";
import { loadOrCreateKeyFile } from "./crypto/keyFile.js";
import type { EventStore } from "./events/eventStore.js";
import { openEsdbEventStore } from "./events/esdb/esdbEventStore.js";
import { createSqliteEventStore } from "./events/sqlite/sqliteEventStore.js";
import { ownHead } from "./events/ownHead.js";
import { createMetrics } from "./metrics/metrics.js";
import { withEventSchemas } from "./events/validatingStore.js";
import { withClaimsInTurn } from "./privacy/claimsInTurn.js";
import { createErasure, type Erasure } from "./privacy/erasure.js";
import { DomainError } from "./errors.js";
import { openPersonalData } from "./privacy/openPersonalData.js";
import { privacyRouter } from "./privacy/routes.js";
import { readModelCipher } from "./privacy/readModelCipher.js";
import type { DocumentCipher } from "./projections/redis/redisReadModel.js";
import { withPersonalData } from "./privacy/personalDataStore.js";
import { createIdGenerator } from "./ids.js";
import type { Logger } from "./logger.js";
import { openKeyRing } from "./oauth/keys/keyRing.js";
import { leanFormPath } from "./oauth/leanPath.js";
import { oauthRoutes } from "./oauth/router.js";
import { securePrivateDirectory, writePrivateFile } from "./privateFiles.js";
import { clientChosenIssuer, exposedBackends } from "./trustBoundary.js";
import { createMemoryReadModel } from "./projections/memory/memoryReadModel.js";
import { countParked } from "./projections/failedEvents.js";
import { parkedEventLog, startProjector, type Projector } from "./projections/projector.js";
import type { ReadModel } from "./projections/readModel.js";
import { reducers } from "./projections/reducers/index.js";
import { startRedisReadSide } from "./projections/redis/readSide.js";
import { createQueries } from "./queries/queries.js";
import { createUserSearchQueries } from "./queries/userSearch.js";
import { startUserSearch } from "./projections/search/searchProjection.js";
import { createEventStream } from "./subscribers/eventStream.js";
import { startWebhooks } from "./subscribers/webhooks/webhooks.js";

export interface RunningService {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  /** Stops accepting, drains in-flight requests, then closes the read model and the log. */
  close(): Promise<void>;
}

export const ADMIN_PAT_FILE = "admin.pat";
/** Clock skew a token may meet at a verifier, added to how long a replaced signing key stays published. */
const CLOCK_SKEW_MS = 300_000;
const READ_SIDE_STOP_MS = 10_000;

/** The composition root below `main`: picks the adapters the configuration names and wires them. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  await securePrivateDirectory(config.dataDir, logger);
  for (const warning of exposedBackends(config)) logger.warn(warning, { see: "docs/security.md" });
  const issuerWarning = clientChosenIssuer(config);
  if (issuerWarning) logger.warn(issuerWarning, { see: "README.md#configuration" });
  const metrics = config.metrics ? createMetrics() : undefined;
  const log = await openEventStore(config, logger, metrics?.commitBatch);
  const personalData = await openPersonalData({ dataDir: config.dataDir, redisUrl: config.redisUrl, masterKeyFile: config.personalDataKeyFile, log, logger }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  const readSide = await openReadSide(config, withEventSchemas(withClaimsInTurn(withPersonalData(log, personalData.vault))), readModelCipher(personalData.vault), logger, metrics?.rebuilt);
  const { readModel } = readSide;
  const store = metrics ? metrics.timedAppends(readSide.store) : readSide.store;
  // Every instance keeps its own search index, fed from the log (src/projections/search/).
  const userSearchProjection = startUserSearch({ store: readSide.follower, logger });
  const base = {
    store,
    externalDomain: config.externalDomain,
    newId: createIdGenerator(),
    now: () => new Date(),
    passwordHashing: { logN: config.passwordScryptLogN },
    codes: codeGenerators(aesGcmEncryption(await loadOrCreateKeyFile(config.codesKeyFile, logger))),
    erasure: createErasure(store, personalData.vault),
  };

  const instance = await setupInstance({ ...base, savePersonalAccessToken: async (token) => void (await writePrivateFile(join(config.dataDir, ADMIN_PAT_FILE), token + "\n")) });
  const keyRing = await openKeyRing({
    store,
    encryption: aesGcmEncryption(await loadOrCreateKeyFile(config.oidcKeyFile, logger)),
    newId: base.newId,
    retentionMs: config.accessTokenLifetimeSeconds * 1000 + CLOCK_SKEW_MS,
  });
  const queries = createQueries({
    store,
    readModel,
    projector: readSide.progress,
    consistencyTimeoutMs: config.consistencyTimeoutMs,
    signingKeys: keyRing,
    readVersion: readSide.readVersion,
    ...(readSide.ownHead ? { headPosition: readSide.ownHead } : {}),
  });
  const commands = createCommands({ ...base, instanceId: instance.instanceId, access: userAccess(queries) });
  await finishErasures(base.erasure, base.now, logger);
  const audit = createAuditLog({ store, readModel, maxScannedEvents: config.listEventsMaxScan });
  const eventStream = createEventStream({ store: readSide.follower, queries, limits: config.sse });
  const webhooks = await startWebhooks({
    store,
    follower: readSide.follower,
    queries,
    dataDir: config.dataDir,
    encryption: aesGcmEncryption(await loadOrCreateKeyFile(config.webhooksKeyFile, logger)),
    instanceId: instance.instanceId,
    newId: base.newId,
    logger,
    retry: { maxAttempts: config.webhookMaxAttempts, backoffMs: config.webhookBackoffMs },
    allowedNetworks: config.webhookAllowedNetworks,
    maxTargets: config.webhookMaxTargets,
    redis: config.redisUrl
      ? { url: config.redisUrl, leaseMs: config.webhookLeaseMs }
      : undefined,
    ...(metrics ? { observer: { attempt: metrics.webhookAttempt, deadLetter: metrics.webhookDeadLetter } } : {}),
  });
  metrics?.watch({
    headPosition: () => store.headPosition(),
    projectionPosition: async () => (await readModel.checkpoint()) ?? 0n,
    appendedAfter: async (position) => {
      for await (const event of store.readAll({ from: position, maxCount: 1 })) return Date.parse(event.metadata.createdAt);
      return undefined;
    },
    parkedEvents: () => countParked(readModel),
    openStreams: eventStream.openStreams,
    webhookBacklog: webhooks.backlog,
  });
  const userSearch = createUserSearchQueries({ store, readModel, search: userSearchProjection, consistencyTimeoutMs: config.consistencyTimeoutMs });
  const served = createManagementMethods({ commands, queries, audit, userSearch });
  const admin = createAdminMethods({ commands, queries, audit, userSearch });
  const oauth = oauthRoutes({
    queries,
    store,
    instanceId: instance.instanceId,
    keyRing,
    lifetimeSeconds: config.accessTokenLifetimeSeconds,
    maxLiveTokensPerUser: config.maxLiveTokensPerUser,
    newId: base.newId,
    externalUrl: config.externalUrl,
  });
  const app = createApp({
    admin,
    routers: [eventStream.router, webhooks.router, oauth.router, privacyRouter({ commands, queries })],
    served,
    logger,
    ready: async () => ({ caughtUp: await readSide.progress.waitFor(await store.headPosition(), 1000), parkedEvents: await countParked(readModel) }),
    ...(metrics ? { metrics } : {}),
  });

  const tls = config.tls && { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) };
  // The OAuth form endpoints skip express on HTTP/1.1, logged and measured as express logs them.
  const fallback = nonRpcHandler(app, leanFormPath(oauth.forms, requestLog(logger, metrics)));
  const listener = createListener(rpcHandler({ served, admin, logger, fallback, ...(metrics ? { metrics } : {}) }), { tls, limits: config.connections });
  await listen(listener.server, config.port, config.host);
  const { port } = listener.server.address() as AddressInfo;
  logger.info("idledger started", {
    port,
    eventStore: config.eventStoreUrl ? "eventstoredb" : "sqlite",
    readModel: config.redisUrl ? "redis" : "memory",
    dataDir: config.dataDir,
  });

  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    store,
    async close() {
      base.erasure.close();
      await eventStream.close();
      await listener.close();
      await webhooks.close();
      // A stop never hangs on a backend: the read side (a projector mid-commit on a Redis that stopped
      // answering) gets a bounded time, then the log is closed regardless.
      const stopped = await Promise.race([Promise.all([userSearchProjection.stop(), readSide.close()]).then(() => true), sleep(READ_SIDE_STOP_MS, false, { ref: false })]);
      if (!stopped) logger.warn("the read side did not stop in time; closing the log anyway", { waitedMs: READ_SIDE_STOP_MS });
      await store.close();
      await personalData.close();
    },
  };
}

export async function openEventStore(config: Config, logger: Logger, onBatchCommitted?: (appends: number) => void): Promise<EventStore> {
  if (config.eventStoreUrl) return openEsdbEventStore(config.eventStoreUrl);
  logger.warn("using the embedded SQLite event log (development default); set EVENTSTORE_URL for EventStoreDB", { dataDir: config.dataDir });
  return createSqliteEventStore({
    path: join(config.dataDir, "events.sqlite"),
    ...(onBatchCommitted ? { onBatchCommitted } : {}),
    ...(config.sqliteWriterThread === "auto" ? {} : { writerThread: config.sqliteWriterThread === "on" }),
  });
}

interface ReadSide {
  /** The store commands append through. */
  readonly store: EventStore;
  /** The store subscribers follow the log with: its subscriptions see every process's appends. */
  readonly follower: EventStore;
  readonly readModel: ReadModel;
  /** Read-your-writes: waits until what queries read has reached a log position. */
  readonly progress: Pick<Projector, "waitFor">;
  /** When this process is the log's only writer: the head it has appended to, known without asking the log. */
  readonly ownHead?: () => bigint;
  /** What the read model reflects, as a tag any applied event changes (src/auth/principalCache.ts). */
  readonly readVersion: () => Promise<string | undefined> | string;
  close(): Promise<void>;
}

/** Redis, shared by any number of instances, one of which projects; or memory, projected in-process. */
async function openReadSide(config: Config, store: EventStore, cipher: DocumentCipher, logger: Logger, onRebuilt?: () => void): Promise<ReadSide> {
  if (config.redisUrl) {
    return startRedisReadSide({
      url: config.redisUrl,
      store,
      // The embedded log's subscriptions see only this process's appends; EventStoreDB's see all.
      subscriptionsSeeAllAppends: config.eventStoreUrl !== undefined,
      reducers,
      runProjector: config.runProjector,
      leaseMs: config.projectorLeaseMs,
      sharedLogPollMs: config.sharedLogPollMs,
      logger,
      ...(onRebuilt ? { onRebuilt } : {}),
      cipher,
    });
  }
  const readModel = createMemoryReadModel();
  // The embedded log with the in-process read model: this process makes nearly every append, so
  // read-your-writes waits for a counter of its own; the CLI's (rotate-signing-key, erase) are
  // picked up by a poll of the head.
  const head = config.eventStoreUrl ? undefined : await ownHead(store, config.sharedLogPollMs);
  const projector = startProjector({
    store,
    readModel,
    reducers,
    onError: (error) => logger.error("projection failed", { error: String(error) }),
    onParked: parkedEventLog(logger),
  });
  // The in-process read model is rebuilt from the whole log at every start.
  onRebuilt?.();
  return {
    store: head?.store ?? store,
    follower: store,
    readModel,
    progress: projector,
    ...(head ? { ownHead: head.position } : {}),
    readVersion: () => projector.position().toString(),
    async close() {
      head?.stop();
      await projector.stop();
      await readModel.close();
    },
  };
}

/** Erasures a crash interrupted; with the key store not reachable (Redis not up yet), the next start does them. */
async function finishErasures(erasure: Erasure, now: () => Date, logger: Logger): Promise<void> {
  try {
    const finished = await erasure.finishErasures({ editorUser: SYSTEM_USER_ID, correlationId: randomUUID(), now });
    if (finished > 0) logger.warn("finished erasures that a stop had interrupted", { users: finished });
  } catch (error) {
    if (!(error instanceof DomainError && error.category === "Unavailable")) throw error;
    logger.warn("the key store is not reachable: erasures a stop interrupted are finished at the next start", { error: error.message });
  }
}

/** One generator per kind of one-time code, all under the codes key. */
const codeGenerators = (encryption: Encryption) =>
  Object.fromEntries(Object.entries(codeKinds).map(([kind, generator]) => [kind, codeGenerator(generator, encryption)])) as Record<CodeKind, CodeGenerator>;

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
