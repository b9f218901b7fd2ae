import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { openDatabase } from "../src/events/sqlite/schema.js";
import { prepareStatements } from "../src/events/sqlite/statements.js";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../src/events/validatingStore.js";
import { createLogger } from "../src/logger.js";
import { connectRedis, whenReady } from "../src/projections/redis/connection.js";
import { createMemoryUserIndex } from "../src/projections/search/memoryUserIndex.js";
import { startUserSearch } from "../src/projections/search/searchProjection.js";
import { searchCollection, type SearchableUser, type TextMethod, type UserFilter, type UserSearchIndex } from "../src/projections/search/userSearch.js";
import { spawnService } from "../test/support/process.js";
import { startRedisServer } from "../test/support/redisServer.js";
import { measure, startBare, type HttpFigures } from "./http.js";
import { fillLog } from "./rebuild.js";

// Synthetic people: 200 × 200 names, so a last name is in about 1 in 200 humans' userNames.
const FIRST = ["anna", "ben", "carla", "dmitri", "elena", "farid", "greta", "hiro", "ines", "jonas", "kemal", "lena", "marta", "nils", "olga", "pavel", "quinn", "rosa", "sven", "tara"].flatMap((name) =>
  Array.from({ length: 10 }, (_, i) => `${name}${"aeiou"[i % 5]}${i}`),
);
const LAST = ["smith", "meyer", "novak", "rossi", "garcia", "kowal", "jensen", "silva", "dubois", "ivanov", "tanaka", "okafor", "haddad", "larsen", "moreau", "schulz", "petrov", "costa", "bauer", "walsh"].flatMap((name) =>
  Array.from({ length: 10 }, (_, i) => `${name}${"xyzwv"[i % 5]}${i}`),
);
const person = (i: number) => ({ first: FIRST[i % FIRST.length]!, last: LAST[Math.floor(i / FIRST.length) % LAST.length]! });

/** The i-th synthetic user: even ones human (`first.last.i`), odd ones machines (`svc-i`). */
function syntheticUser(i: number, org: string): { userName: string; type: "human" | "machine"; data: Record<string, unknown> } {
  if (i % 2 === 1) return { userName: `svc-${i}`, type: "machine", data: { userName: `svc-${i}`, name: `Service ${i}` } };
  const { first, last } = person(i);
  const userName = `${first}.${last}.${i}`;
  return { userName, type: "human", data: { userName, firstName: first, lastName: last, displayName: `${first} ${last}`, email: `${userName}@example.com` } };
}

/** What the benchmarks search for: a last name (in ~0.25 % of users), a two-letter term (no trigram: every user is read), one userName. */
export const SEARCH_TERMS = { lastName: LAST[7]!, short: "ar", exact: (count: number) => syntheticUser(Math.floor(count / 2) * 2 - 2, "").userName } as const;

/**
 * Writes `count` synthetic users of `org` into the SQLite log's table, one `added` event each, in
 * transactions of 50,000: what appends would write, without a million appends' bookkeeping (the
 * append path has figures of its own above).
 */
export function fillUsers(path: string, org: string, count: number): void {
  const db = openDatabase(path, 5000);
  db.pragma("synchronous = OFF");
  const sql = prepareStatements(db);
  const createdAt = new Date().toISOString();
  const encodedMetadata = JSON.stringify({ resourceOwner: org, instanceId: "bench", editorUser: "bench", createdAt, correlationId: "bench", causationId: "bench", schemaVersion: 1 });
  const insert = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const user = syntheticUser(i, org);
      sql.insertEvent(`user-bench-${i}`, 0, { id: randomUUID(), type: `user.${user.type}.added`, data: JSON.stringify(user.data), metadata: encodedMetadata });
    }
  });
  for (let start = 0; start < count; start += 50_000) insert(start, Math.min(count, start + 50_000));
  db.close();
}

/**
 * The fixed rate of the paced figures: well under what one core answers of either search (about
 * 500 CONTAINS a second on a quiet machine), so that the server is idle most of each second and
 * autocannon's one connection (see HttpLoad.rate) gets every one of its requests in.
 */
export const PACED_RATE = 100;

export interface UserSearchFigures {
  readonly users: number;
  /** The searches closed-loop at 10 connections: what the targets are measured by. */
  readonly contains: HttpFigures;
  readonly containsShort: HttpFigures;
  readonly equals: HttpFigures;
  /** Bare express answering the JSON the service gave for the same search (100 users; 1 for equals), at the same 10 connections, in the same run. */
  readonly baseline: { readonly contains: HttpFigures; readonly equals: HttpFigures };
  /** Additional figures, not the targets': the same searches at PACED_RATE a second on one connection, one request in flight at a time. */
  readonly paced: { readonly contains: HttpFigures; readonly equals: HttpFigures };
  /** Bare express's answers of `baseline` at the paced figures' load. */
  readonly pacedBaseline: { readonly contains: HttpFigures; readonly equals: HttpFigures };
  /** The service process's resident memory per user (read model and index) after its start. */
  readonly serviceBytesPerUser: number;
  /** Redis's used_memory per user (documents and their index entries; no search data). */
  readonly redisBytesPerUser?: number;
  /** Seconds from the service's start until ListUsers answered over the whole log. */
  readonly startSeconds: number;
}

/**
 * ListUsers at `users` users, over HTTP at 10 connections (then paced, see PACED_RATE), each search
 * next to bare express answering the same JSON at the same load, against the service in its own process
 * (logging every request, as in production). The users are written to the SQLite log directly (no HTTP), then the
 * service starts on it and projects them all, as any start does; with `redis`, into Redis.
 */
export async function benchUserSearch({ dir, users, redis = false }: { dir: string; users: number; redis?: boolean }): Promise<UserSearchFigures> {
  const dataDir = await mkdtemp(join(dir, "search-"));
  const server = redis ? await startRedisServer() : undefined;
  const env: Record<string, string> = { DATA_DIR: dataDir, ...(server ? { REDIS_URL: server.url } : {}) };
  try {
    // 1. a first start sets the instance up (default org, admin token); the users go into its default org
    let service = await spawnService(env);
    const auth = { authorization: `Bearer ${(await readFile(join(dataDir, "admin.pat"), "utf8")).trim()}` };
    const org = ((await (await fetch(`${service.url}/management/v1/orgs/me`, { headers: auth })).json()) as { org: { id: string } }).org.id;
    const emptyResident = residentBytes(service.child.pid!);
    service.child.kill("SIGTERM");
    await service.exited;
    fillUsers(join(dataDir, "events.sqlite"), org, users);
    const redisBefore = server ? await redisUsedMemory(server.url) : 0;

    // 2. the start that projects them all; ListUsers answers once the index has reached the head
    const started = performance.now();
    service = await spawnService(env);
    await caughtUp(service.url, auth);
    const startSeconds = (performance.now() - started) / 1000;
    const serviceBytesPerUser = (residentBytes(service.child.pid!) - emptyResident) / users;
    const redisBytesPerUser = server ? ((await redisUsedMemory(server.url)) - redisBefore) / users : undefined;

    // 3. the searches, each next to a bare express route answering the same JSON, at the same load
    const userName = (value: string, method: string) => [{ userNameQuery: { userName: value, method: `TEXT_QUERY_METHOD_${method}` } }];
    const queries = {
      equals: userName(SEARCH_TERMS.exact(users), "EQUALS"),
      contains: userName(SEARCH_TERMS.lastName.toUpperCase(), "CONTAINS_IGNORE_CASE"),
      containsShort: userName(SEARCH_TERMS.short, "CONTAINS_IGNORE_CASE"),
    };
    const body = (name: keyof typeof queries) => () => JSON.stringify({ query: { limit: 100 }, queries: queries[name] });
    const searchUrl = `${service.url}/management/v1/users/_search`;
    const pagesDir = join(dataDir, "pages");
    await mkdir(pagesDir);
    for (const name of ["equals", "contains"] as const) {
      const page = await fetch(searchUrl, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: body(name)() });
      await writeFile(join(pagesDir, `${name}.json`), await page.text());
    }
    const bare = await startBare(pagesDir);
    const closedLoop = { connections: 10, seconds: 5 };
    const paced = { connections: 1, seconds: 5, rate: PACED_RATE };
    const search = (name: keyof typeof queries, load: typeof closedLoop | typeof paced) =>
      measure({ url: searchUrl, method: "POST", headers: auth, body: body(name), cpuOf: service.child.pid!, ...load });
    const baseline = (name: "equals" | "contains", load: typeof closedLoop | typeof paced) =>
      measure({ url: `${bare.url}/bare/page/${name}`, method: "POST", body: body(name), cpuOf: bare.pid, ...load });
    let figures;
    try {
      figures = {
        equals: await search("equals", closedLoop),
        contains: await search("contains", closedLoop),
        baseline: { equals: await baseline("equals", closedLoop), contains: await baseline("contains", closedLoop) },
        paced: { equals: await search("equals", paced), contains: await search("contains", paced) },
        pacedBaseline: { equals: await baseline("equals", paced), contains: await baseline("contains", paced) },
      };
    } finally {
      await bare.stop();
    }
    // The full scan last: its requests outlast the measured seconds and would weigh on the next figure.
    const containsShort = await search("containsShort", closedLoop);
    service.child.kill("SIGTERM");
    await service.exited;
    return { users, ...figures, containsShort, serviceBytesPerUser, startSeconds, ...(redisBytesPerUser === undefined ? {} : { redisBytesPerUser }) };
  } finally {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Until the service's search index and read model have both reached the log's head. */
export async function caughtUp(url: string, auth: Record<string, string>): Promise<void> {
  // Until the index has caught up ListUsers answers 503 (or the request times out).
  for (;;) {
    const answered = await fetch(`${url}/management/v1/users/_search`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ query: { limit: 1 } }) }).then(
      (response) => response.ok,
      () => false,
    );
    // ... and the read model must have caught up too, or every request would wait for it.
    if (answered && (await fetch(`${url}/debug/ready`).then((response) => response.ok, () => false))) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An index of `users` synthetic users fed straight to it (no log), as the projection would fill it. */
async function syntheticIndex(users: number): Promise<UserSearchIndex> {
  const index = createMemoryUserIndex();
  const createdAt = new Date().toISOString();
  for (let start = 0; start < users; start += 10_000) {
    const writes = Array.from({ length: Math.min(10_000, users - start) }, (_, k) => {
      const { userName, type, data } = syntheticUser(start + k, "org");
      const doc: SearchableUser = {
        id: `4000000000${String(start + k).padStart(8, "0")}`,
        org: "org",
        type,
        state: "USER_STATE_ACTIVE",
        initialized: true,
        userName,
        creationDate: createdAt,
        ...(type === "human"
          ? { human: { firstName: data.firstName as string, lastName: data.lastName as string, nickName: "", displayName: data.displayName as string, email: data.email as string } }
          : {}),
      };
      return { op: "put" as const, collection: searchCollection, id: doc.id, doc };
    });
    await index.store.commit(writes, BigInt(start + writes.length));
  }
  return index;
}

export interface IndexFigures {
  /** Heap bytes the index holds per user, after a full GC. */
  readonly bytesPerUser: number;
  /** One search's CPU time inside the process (no HTTP), p50 and p99 in ms, by query. */
  readonly searchMs: Readonly<Record<"contains" | "containsShort" | "equals", { readonly p50: number; readonly p99: number }>>;
}

/** The index alone at `users` users: its memory and each benchmark query's time, searched 200 times (the full scan 50). */
export async function benchIndex(users: number): Promise<IndexFigures> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const index = await syntheticIndex(users);
  gc();
  const bytesPerUser = (process.memoryUsage().heapUsed - before) / users;
  const time = (filter: UserFilter, rounds = 200) => {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // CPU time, not wall time: on a shared machine the process waits for a core, which is no search's cost.
      const started = process.cpuUsage();
      index.search({ org: "org", filters: [filter], sort: "id", asc: false, offset: 0n, limit: 100 });
      const { user, system } = process.cpuUsage(started);
      times.push((user + system) / 1000);
    }
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(rounds / 2)]!, p99: times[Math.ceil(rounds * 0.99) - 1]! };
  };
  const userName = (value: string, method: TextMethod): UserFilter => ({ kind: "text", field: "userName", method, value });
  return {
    bytesPerUser,
    searchMs: {
      contains: time(userName(SEARCH_TERMS.lastName.toUpperCase(), "containsIgnoreCase")),
      containsShort: time(userName(SEARCH_TERMS.short, "containsIgnoreCase"), 50),
      equals: time(userName(SEARCH_TERMS.exact(users), "equals")),
    },
  };
}

/** The search projection's rebuild from the log (the same log as bench/rebuild.ts), in events per second. */
export async function benchSearchRebuild({ dir, users = 20_000 }: { dir: string; users?: number }): Promise<{ events: number; eventsPerSecond: number; eventsPerCpuSecond: number }> {
  const store = withEventSchemas(createSqliteEventStore({ path: join(dir, `search-rebuild-${randomUUID()}.sqlite`) }));
  try {
    const events = await fillLog(store, users);
    const head = await store.headPosition();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const search = startUserSearch({ store, logger: createLogger("error", true) });
    const reached = await search.waitFor(head, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    await search.stop();
    if (!reached) throw new Error("the search projection did not reach the head");
    return { events, eventsPerSecond: events / seconds, eventsPerCpuSecond: events / ((user + system) / 1e6) };
  } finally {
    await store.close();
  }
}

function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

async function redisUsedMemory(url: string): Promise<number> {
  const redis = connectRedis(url);
  try {
    await whenReady(redis, 5000);
    const info = await redis.info("memory");
    return Number(/used_memory:(\d+)/.exec(info)![1]);
  } finally {
    redis.disconnect();
  }
}

// `node --import tsx bench/userSearch.ts [users] [redis-users]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = await mkdtemp(join(tmpdir(), "idledger-bench-search-"));
  try {
    const users = Number(process.argv[2] ?? 1_000_000);
    const redisUsers = Number(process.argv[3] ?? 100_000);
    console.log("index:", JSON.stringify(await benchIndex(users)));
    console.log("search rebuild:", JSON.stringify(await benchSearchRebuild({ dir })));
    console.log("memory:", JSON.stringify(await benchUserSearch({ dir, users })));
    console.log("redis:", JSON.stringify(await benchUserSearch({ dir, users: redisUsers, redis: true })));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
