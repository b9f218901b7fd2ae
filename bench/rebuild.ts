import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { NewEvent } from "../src/events/envelope.js";
import type { EventStore } from "../src/events/eventStore.js";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../src/events/validatingStore.js";
import { createMemoryReadModel } from "../src/projections/memory/memoryReadModel.js";
import { startProjector } from "../src/projections/projector.js";
import { reducers } from "../src/projections/reducers/index.js";
import { createLogger } from "../src/logger.js";
import { openPersonalData } from "../src/privacy/openPersonalData.js";
import { withPersonalData } from "../src/privacy/personalDataStore.js";

const metadata = () => ({
  resourceOwner: "400000000000000001",
  instanceId: "400000000000000000",
  editorUser: "bench",
  createdAt: new Date().toISOString(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  schemaVersion: 1,
});

/** A log of `users` machine users with one added and four changed events each. */
export async function fillLog(store: EventStore, users: number): Promise<number> {
  const perUser = (i: number): NewEvent[] => [
    { id: randomUUID(), type: "user.machine.added", data: { userName: `bench-${i}`, name: "Bench" }, metadata: metadata() },
    ...[1, 2, 3, 4].map((n) => ({ id: randomUUID(), type: "user.machine.changed", data: { name: `Bench ${n}` }, metadata: metadata() })),
  ];
  for (let start = 0; start < users; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, users - start) }, (_, k) =>
        store.append(`user-${start + k}`, perUser(start + k), { expectedRevision: "no_stream" }),
      ),
    );
  }
  return users * 5;
}

// A full collection before each memory reading, without starting node with --expose-gc.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const memory = () => {
  collectGarbage();
  return process.memoryUsage();
};

/**
 * Rebuild of the in-process read model from the SQLite log, as every embedded start does; and the
 * memory the rebuilt read model holds: growth of this process's heap from before the log was
 * written, after a full GC. (Not its RSS: in `npm run bench` this process has run load generators
 * before, whose memory is given back during the rebuild, so the RSS can even shrink. The service's
 * own RSS per user is measured in its process, by bench/userSearch.ts.)
 */
export async function benchRebuild({ dir, users = 20_000 }: { dir: string; users?: number }) {
  // Reads go through the schema check and upcasting, as they do in the service.
  const before = memory();
  const store = withEventSchemas(createSqliteEventStore({ path: join(dir, "rebuild.sqlite") }));
  const events = await fillLog(store, users);
  const head = await store.headPosition();
  // A start begins with an empty heap: the fill's garbage is not the rebuild's to collect.
  collectGarbage();
  const started = performance.now();
  const readModel = createMemoryReadModel();
  const projector = startProjector({ store, readModel, reducers });
  const reached = await projector.waitFor(head, 120_000);
  const seconds = (performance.now() - started) / 1000;
  await projector.stop();
  const after = memory();
  // Referenced after the reading, so that it is still alive when measured.
  await readModel.close();
  await store.close();
  if (!reached) throw new Error("rebuild did not reach the head");
  const per100k = (bytes: number) => (bytes * 100_000) / users;
  return {
    events,
    eventsPerSecond: events / seconds,
    heapPer100kUsers: per100k(after.heapUsed - before.heapUsed),
  };
}

/**
 * A log of `users` humans with five events each, three of which carry sealed personal data
 * (added, profile changed, phone changed) and two that do not (email and phone verified).
 */
export async function fillHumanLog(store: EventStore, users: number): Promise<number> {
  const event = (type: string, data: object): NewEvent => ({ id: randomUUID(), type, data, metadata: metadata() });
  const perUser = (i: number): NewEvent[] => [
    event("user.human.added", { userName: `human-${i}`, firstName: "Ada", lastName: `Bench ${i}`, displayName: "Ada B.", gender: 1, email: `human-${i}@example.com` }),
    event("user.human.email.verified", {}),
    event("user.human.profile.changed", { nickName: `ada-${i}`, preferredLanguage: "de" }),
    event("user.human.phone.changed", { phone: "+41791234567" }),
    event("user.human.phone.verified", {}),
  ];
  for (let start = 0; start < users; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, users - start) }, (_, k) => store.append(`user-${start + k}`, perUser(start + k), { expectedRevision: "no_stream" })),
    );
  }
  return users * 5;
}

/**
 * Rebuild of the in-process read model from the SQLite log, as every embedded start does, with
 * the personal data decrypted: through the same layers as the service, keys from a fresh start's
 * cold cache (each user's key is read from the key store and unwrapped once). Its same-run
 * baseline is the same humans' log written without the personal-data layer (every value in
 * plaintext) and rebuilt without it: what decryption costs is the difference. The two are
 * rebuilt in alternation, `ROUNDS` times each, and the fastest of each kind is kept: a rebuild
 * takes under a second, and on a shared machine of two cores whatever else runs disturbs some of
 * them (one process's rounds here differed by up to a third); the least disturbed is what the code costs.
 */
export const ROUNDS = 3;

export async function benchDecryptingRebuild({ dir, users = 20_000 }: { dir: string; users?: number }) {
  const sealedLog = createSqliteEventStore({ path: join(dir, "rebuild-humans.sqlite") });
  const plainLog = createSqliteEventStore({ path: join(dir, "rebuild-humans-plain.sqlite") });
  const open = () => openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "bench-personal-data.key"), log: sealedLog, logger: createLogger("error", true) });
  const writing = await open();
  const events = await fillHumanLog(withEventSchemas(withPersonalData(sealedLog, writing.vault)), users);
  await writing.close();
  await fillHumanLog(withEventSchemas(plainLog), users);
  const rebuild = async (store: EventStore) => {
    const head = await store.headPosition();
    // As above: the fill's garbage (and the last round's read model) collected first.
    collectGarbage();
    const mainThreadBefore = mainThreadCpuMs();
    const started = performance.now();
    const projector = startProjector({ store, readModel: createMemoryReadModel(), reducers });
    const reached = await projector.waitFor(head, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const mainThreadSeconds = (mainThreadCpuMs() - mainThreadBefore) / 1000;
    await projector.stop();
    if (!reached) throw new Error("rebuild did not reach the head");
    return { eventsPerSecond: events / seconds, eventsPerMainThreadCpuSecond: events / mainThreadSeconds };
  };
  const decrypted: Awaited<ReturnType<typeof rebuild>>[] = [];
  const plain: Awaited<ReturnType<typeof rebuild>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Every decrypting rebuild starts cold, as a start does: a fresh vault, no key cached.
    const personalData = await open();
    decrypted.push(await rebuild(withEventSchemas(withPersonalData(sealedLog, personalData.vault))));
    await personalData.close();
    plain.push(await rebuild(withEventSchemas(plainLog)));
  }
  await sealedLog.close();
  await plainLog.close();
  const best = (runs: typeof plain) => runs.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
  // The main thread is the bound (the AES-GCM runs on a worker when there is a core for it): its
  // CPU time per event is what a shared machine disturbs least.
  return { events, ...best(decrypted), plain: best(plain) };
}

/** CPU time of this process's main thread alone (Linux: its task's utime + stime, in 10 ms ticks). */
export function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// `node --import tsx bench/rebuild.ts [decrypting|plain] [users]`: one of the two rebuild benches
// alone, in a temporary directory, for iterating on the rebuild without the full `npm run bench`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = process.argv[2] === "plain" ? "plain" : "decrypting";
  const users = Number(process.argv[3] ?? 20_000);
  const dir = await mkdtemp(join(tmpdir(), "idledger-rebuild-"));
  try {
    console.log(which, users, "users:", which === "plain" ? await benchRebuild({ dir, users }) : await benchDecryptingRebuild({ dir, users }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
