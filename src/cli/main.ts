#!/usr/bin/env node
import { createReadStream, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { connectRedis, whenReady } from "../projections/redis/connection.js";
import { requestRebuild } from "../projections/redis/generations.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "../projections/redis/keys.js";
import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore } from "../events/eventStore.js";
import { openEsdbEventStore } from "../events/esdb/esdbEventStore.js";
import { withEventSchemas } from "../events/validatingStore.js";
import { listParked } from "../projections/failedEvents.js";
import { createMemoryReadModel } from "../projections/memory/memoryReadModel.js";
import { createRedisReadModel } from "../projections/redis/redisReadModel.js";
import type { FailedEventView } from "../projections/views.js";
import { boundedLines } from "./boundedLines.js";
import { privateWriteStream } from "../privateFiles.js";
import { exportLog } from "./exportLog.js";
import { assertEmpty, importLog } from "./importLog.js";
import { MAX_LINE_BYTES, readJsonLines } from "./jsonLines.js";
import { migrate, type MigrateReport } from "./migrate.js";
import { openStore, sqlitePath, type StoreLocation } from "./openStore.js";
import { startProgress } from "./progress.js";
import { rebuildProjections } from "./rebuild.js";
import { stageVerified } from "./staging.js";
import { rotateMasterKey } from "./rotateMasterKey.js";
import { rotateSigningKey } from "./rotateSigningKey.js";
import { sealedClaims } from "./sealedClaims.js";
import { verifyLog, type VerifyReport } from "./verifyLog.js";
import winston from "winston";
import { SYSTEM_USER_ID } from "../commands/commands.js";
import { KEY_FILES } from "../crypto/keyFile.js";
import { DomainError } from "../errors.js";
import { createErasure } from "../privacy/erasure.js";
import { openPersonalData } from "../privacy/openPersonalData.js";
import { createOpener, withPersonalData } from "../privacy/personalDataStore.js";
import type { Vault } from "../privacy/vault.js";
import { randomUUID } from "node:crypto";

const usage = `usage: idledger <command> [options]

  export   [--from POS] [--to POS] [--out FILE]   the log as JSON Lines (stdout unless --out)
  import   --in FILE|- [--force]                  a JSON Lines export into an empty log, read once (- is
                                                  standard input) and verified whole before anything is appended
  verify   [--in FILE|-]                          ids unique, revisions contiguous, schemas valid, and every
                                                  event one the deciders and projections can apply
  rebuild  [--redis redis://...]                  replay the log through every projection; with --redis (or
                                                  $REDIS_URL) ask the Redis projector to rebuild without downtime
  failed-events [--redis redis://...]             the events the projection parked (could not apply), as JSON
                                                  Lines: those in Redis with --redis (or $REDIS_URL), else those
                                                  a replay of the log parks, as the embedded service does
  migrate  [--to esdb://...]                      copy the log into EventStoreDB (--to or $EVENTSTORE_URL),
                                                  resuming where the target stands, then compare checksums
  erase    --user ID                              erase a removed user's personal data: its key is deleted and
                                                  user.personal.data.erased appended (the log is $EVENTSTORE_URL if set)
  rotate-signing-key                              add a new OIDC signing key (the log is $EVENTSTORE_URL if set);
                                                  instances sign with it within a second, the old one verifies
                                                  until its tokens expire
  rotate-master-key --new-key-file PATH           write a new personal-data master key to PATH (0600, must not
                                                  exist) and rewrap the key store under it; userName hashes and
                                                  the Redis key store stay as they are. Stop every instance
                                                  first; after a crash, run it again with the same PATH

  where the log is --db FILE, or events.sqlite in --data-dir DIR (default $DATA_DIR or ./.data).
  Personal data is opened with the key store (keys.sqlite in the data directory, or $REDIS_URL) and
  the master key ($PERSONAL_DATA_KEY_FILE or personal-data.key there): docs/privacy.md.
  Stop the service before import and rotate-master-key.`;

class UsageError extends Error {}

// The CLI's composition root: the only place here that reads process.env and argv.
async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      db: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      out: { type: "string" },
      in: { type: "string" },
      force: { type: "boolean" },
      redis: { type: "string" },
      user: { type: "string" },
      "new-key-file": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage + "\n");
    return values.help ? 0 : 2;
  }
  const location: StoreLocation = { dataDir: values["data-dir"] ?? process.env.DATA_DIR ?? ".data", ...(values.db ? { db: values.db } : {}) };
  const keys: KeyLocation = {
    dataDir: location.dataDir,
    redisUrl: process.env.REDIS_URL || undefined,
    masterKeyFile: process.env.PERSONAL_DATA_KEY_FILE || join(location.dataDir, KEY_FILES.personalData),
  };
  const withLog = (mustExist: boolean, run: (store: EventStore, vault: Vault) => Promise<number>) =>
    withStore(location, mustExist, (store) => withVault(keys, store, (vault) => run(store, vault)));

  switch (command) {
    case "export":
      // Sealed as stored, except that an erased user's fields read "[erased]": an export never holds plaintext.
      return withLog(true, async (raw, vault) => {
        const store = withPersonalData(raw, vault, "redact");
        const from = position(values.from, "--from") ?? 0n;
        const to = position(values.to, "--to");
        const head = await store.headPosition();
        const progress = startProgress("export", Number((to !== undefined && to < head ? to : head) - from));
        const out: Writable = values.out ? await privateWriteStream(values.out) : process.stdout;
        await exportLog(store, out, { from, ...(to !== undefined ? { to } : {}) }, (n) => progress.add(n));
        if (values.out) {
          out.end();
          await finished(out);
        }
        progress.done();
        return 0;
      });
    case "import": {
      const file = values.in;
      if (!file) throw new UsageError("import needs --in FILE (- for standard input)");
      const force = values.force ?? false;
      // A log that is there already is refused before the input is read, not after.
      if (!force && existsSync(sqlitePath(location))) await withStore(location, true, async (store) => (await assertEmpty(store), 0));
      const staging = await mkdtemp(join(dirname(sqlitePath(location)), ".idledger-import-"));
      const staged = join(staging, "events.jsonl");
      try {
        // The log is created only once the input verified; so the vault is opened without it.
        return await withVault(keys, undefined, async (vault) => {
          const progress = startProgress("verify", 0);
          const report = await stageVerified(readJsonLines(input(file)), staged, () => progress.add(1), createOpener(vault));
          progress.done();
          if (!printReport(report)) return 1;
          return withStore(location, false, (raw) => importInto(raw, vault, report.events));
        });
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      async function importInto(raw: EventStore, vault: Vault, events: number): Promise<number> {
        const appending = startProgress("import", events);
        // Appended as exported (sealed stays sealed; a plaintext event of a log exported before
        // idledger encrypted is sealed now), userNames claimed by their keyed hash.
        const claims = sealedClaims(vault);
        await importLog(withPersonalData(raw, vault), claims.tap(readJsonLines(input(staged))), { force, claimsOf: claims.claimsOf }, (n) => appending.add(n));
        appending.done();
        return 0;
      }
    }
    case "verify": {
      const file = values.in;
      if (file) return withVault(keys, undefined, async (vault) => (printReport(await verifyWithProgress("verify", opened(readJsonLines(input(file)), vault))) ? 0 : 1));
      return withLog(true, async (raw, vault) => {
        const store = withPersonalData(raw, vault);
        return printReport(await verifyWithProgress("verify", store.readAll(), Number(await store.headPosition()))) ? 0 : 1;
      });
    }
    case "rebuild": {
      const redisUrl = values.redis ?? process.env.REDIS_URL;
      if (redisUrl) return requestRedisRebuild(redisUrl);
      return withLog(true, async (raw, vault) => {
        const store = withPersonalData(raw, vault);
        const head = await store.headPosition();
        const progress = startProgress("rebuild", Number(head));
        let reported = 0n;
        const { position: reached, parked } = await rebuildProjections(withEventSchemas(store), createMemoryReadModel(), (p) => {
          progress.add(Number(p - reported));
          reported = p;
        });
        progress.done();
        process.stderr.write(`rebuild: projections reached position ${reached}${parked ? `; ${parked} events parked (idledger failed-events lists them)` : ""}\n`);
        return parked === 0 ? 0 : 1;
      });
    }
    case "failed-events": {
      const redisUrl = values.redis ?? process.env.REDIS_URL;
      if (redisUrl) return listRedisFailedEvents(redisUrl);
      return withLog(true, async (raw, vault) => {
        const readModel = createMemoryReadModel();
        await rebuildProjections(withEventSchemas(withPersonalData(raw, vault)), readModel);
        return printFailedEvents(await listParked(readModel));
      });
    }
    case "migrate": {
      const url = values.to ?? process.env.EVENTSTORE_URL;
      if (!url || !/^esdb(\+discover)?:\/\//.test(url)) throw new UsageError("migrate needs --to esdb://... (or EVENTSTORE_URL)");
      // Copied as stored (sealed stays sealed), userNames claimed in the target by their keyed hash.
      return withLog(true, async (raw, vault) => {
        const claims = sealedClaims(vault);
        const source = claims.tapped(raw);
        const esdb = openEsdbEventStore(url);
        // Appends hash the userNames they claim; reads (the checksums) see the target as stored.
        const target: EventStore = { ...esdb, append: withPersonalData(esdb, vault).append };
        try {
          const total = Number(await source.headPosition());
          let phase: "copy" | "verify" = "copy";
          let progress = startProgress("migrate", total);
          const report = await migrate(source, target, {
            claimsOf: claims.claimsOf,
            onProgress: (done) => {
              if (done.phase !== phase) {
                progress.done();
                phase = done.phase;
                progress = startProgress("verify", total);
              }
              progress.add(done.events);
            },
          });
          progress.done();
          return printMigrateReport(report) ? 0 : 1;
        } finally {
          await target.close();
        }
      });
    }
    case "erase": {
      const userId = values.user;
      if (!userId) throw new UsageError("erase needs --user ID");
      const erase = (raw: EventStore) =>
        withVault(keys, raw, async (vault) => {
          const store = withEventSchemas(withPersonalData(raw, vault));
          try {
            await createErasure(store, vault).erase(userId, { editorUser: SYSTEM_USER_ID, correlationId: randomUUID(), now: () => new Date() });
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            process.stderr.write(`erase: ${error.message} (${error.id})\n`);
            return 1;
          }
          process.stderr.write(`erase: user ${userId}'s key is deleted; its personal data reads "[erased]" (running instances drop a cached key within seconds)\n`);
          return 0;
        });
      const esdbUrl = process.env.EVENTSTORE_URL;
      if (!esdbUrl) return withStore(location, true, erase);
      const store = openEsdbEventStore(esdbUrl);
      try {
        return await erase(store);
      } finally {
        await store.close();
      }
    }
    case "rotate-signing-key": {
      const rotate = async (store: EventStore) => {
        const keyId = await rotateSigningKey(withEventSchemas(store), location.dataDir);
        process.stderr.write(`rotate-signing-key: key ${keyId} added; it signs from now on\n`);
        return 0;
      };
      const esdbUrl = process.env.EVENTSTORE_URL;
      if (!esdbUrl) return withStore(location, true, rotate);
      const store = openEsdbEventStore(esdbUrl);
      try {
        return await rotate(store);
      } finally {
        await store.close();
      }
    }
    case "rotate-master-key": {
      const newKeyFile = values["new-key-file"];
      if (!newKeyFile) throw new UsageError("rotate-master-key needs --new-key-file PATH (a file that does not exist yet)");
      const report = await rotateMasterKey({ location: keys, currentKeyFile: keys.masterKeyFile, newKeyFile });
      process.stderr.write(
        report.alreadyDone
          ? `rotate-master-key: the key store is wrapped under ${newKeyFile} already; nothing to do\n`
          : `rotate-master-key: ${report.rewrapped} keys rewrapped (${report.untouched} erased or rewrapped before) under the new master key in ${newKeyFile}\n`,
      );
      process.stderr.write(
        `  now: make ${newKeyFile} the PERSONAL_DATA_KEY_FILE of every instance (or move it over ${keys.masterKeyFile}), then start them; ` +
          `the old key file opens nothing any more: destroy it${keys.redisUrl ? ", and rewrite Redis' copies (BGREWRITEAOF, BGSAVE) that still hold keys wrapped under it" : ""}\n`,
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function withStore(location: StoreLocation, mustExist: boolean, run: (store: EventStore) => Promise<number>): Promise<number> {
  const store = openStore(location, { mustExist });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

interface KeyLocation {
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly masterKeyFile: string;
}

// Messages go to stderr: stdout may be an export.
const cliLogger = winston.createLogger({ level: "warn", transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })] });

/** The key store and master key, opened against `log` (a new key store must find the log without sealed events). */
async function withVault(keys: KeyLocation, log: EventStore | undefined, run: (vault: Vault) => Promise<number>): Promise<number> {
  const personalData = await openPersonalData({ ...keys, log: log ?? emptyLog, logger: cliLogger });
  try {
    return await run(personalData.vault);
  } finally {
    await personalData.close();
  }
}

/** For a vault opened without a log (verify --in): there is nothing it could fail to open. */
const emptyLog = { async *readAll() {} } as unknown as EventStore;

async function* opened(events: AsyncIterable<RecordedEvent>, vault: Vault): AsyncGenerator<RecordedEvent> {
  const open = createOpener(vault);
  for await (const event of events) yield await open(event);
}

async function verifyWithProgress(label: string, events: AsyncIterable<RecordedEvent>, total = 0): Promise<VerifyReport> {
  const progress = startProgress(label, total);
  const report = await verifyLog(events, () => progress.add(1));
  progress.done();
  return report;
}

function printReport(report: VerifyReport): boolean {
  const ok = report.problemCount === 0;
  process.stderr.write(`verify: ${report.events} events in ${report.streams} streams, ${ok ? "well-formed" : `${report.problemCount} problems`}\n`);
  for (const problem of report.problems) process.stderr.write(`  ${problem}\n`);
  return ok;
}

function printMigrateReport(report: MigrateReport): boolean {
  process.stderr.write(
    `migrate: ${report.events} events in ${report.streams} streams, ${report.copied} copied, ${report.alreadyThere} already in the target; ` +
      (report.ok ? "counts and checksums match\n" : `${report.diverged.length} streams diverge, ${report.mismatched.length} differ after copying\n`),
  );
  for (const { stream, reason } of report.diverged) process.stderr.write(`  diverges: ${stream}: ${reason}\n`);
  for (const { stream, source, target } of report.mismatched) {
    process.stderr.write(`  differs: ${stream}: source ${source.events} events sha256 ${source.checksum}, target ${target.events} events sha256 ${target.checksum}\n`);
  }
  return report.ok;
}

/** A file's lines, or standard input's for `-`, each at most MAX_LINE_BYTES. */
const input = (file: string) => boundedLines(file === "-" ? process.stdin : createReadStream(file), MAX_LINE_BYTES);

function position(raw: string | undefined, name: string): bigint | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be an event position (a decimal number)`);
  return BigInt(raw);
}

// Should the event loop empty before a command settles, the exit says it did not finish.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`idledger: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(usage + "\n");
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);

/** The events parked in the active generation of the Redis read model. */
async function listRedisFailedEvents(url: string): Promise<number> {
  const redis = connectRedis(url);
  try {
    if (!(await whenReady(redis, 5000))) {
      process.stderr.write("failed-events: Redis is not reachable\n");
      return 1;
    }
    return printFailedEvents(await listParked(createRedisReadModel({ redis, keys: redisKeys(DEFAULT_KEY_PREFIX) })));
  } finally {
    redis.disconnect();
  }
}

/** One JSON line per parked event on stdout, the count on stderr; exit 1 when there are any. */
function printFailedEvents(parked: readonly FailedEventView[]): number {
  for (const event of parked) process.stdout.write(JSON.stringify(event) + "\n");
  process.stderr.write(`failed-events: ${parked.length} parked${parked.length ? "; after a fix, a rebuild applies them in log order (docs/failed-events.md)" : ""}\n`);
  return parked.length === 0 ? 0 : 1;
}

/** The Redis read model is rebuilt by whichever instance holds the projection lease, into a new generation. */
async function requestRedisRebuild(url: string): Promise<number> {
  const redis = connectRedis(url);
  try {
    if (!(await whenReady(redis, 5000))) {
      process.stderr.write("rebuild: Redis is not reachable\n");
      return 1;
    }
    await requestRebuild(redis, redisKeys(DEFAULT_KEY_PREFIX));
    process.stderr.write("rebuild: requested; the projector holding the lease rebuilds into a new generation, then switches readers over\n");
    return 0;
  } finally {
    redis.disconnect();
  }
}
