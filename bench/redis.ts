import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createSqliteEventStore } from "../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../src/events/validatingStore.js";
import { startProjector } from "../src/projections/projector.js";
import { reducers } from "../src/projections/reducers/index.js";
import { connectRedis, whenReady } from "../src/projections/redis/connection.js";
import { redisKeys } from "../src/projections/redis/keys.js";
import { createRedisReadModel } from "../src/projections/redis/redisReadModel.js";
import { startRedisServer } from "../test/support/redisServer.js";
import { measure, type HttpFigures } from "./http.js";
import { fillLog } from "./rebuild.js";
import { entryBeside } from "./entry.js";

export interface RedisBenchResult {
  /** Projecting the whole SQLite log into a fresh Redis generation (each batch one Lua commit). */
  readonly rebuild: { readonly events: number; readonly eventsPerSecond: number };
  /** GET /management/v1/users/{id} from a service in its own process, every read from Redis. */
  readonly getUser: HttpFigures;
}

/**
 * The Redis read model's figures. Starts its own redis-server (no persistence) unless `redisUrl`
 * names one; the rebuild writes under a key prefix of its own, the service under the default one.
 */
export async function benchRedis({ dir, users = 20_000, redisUrl }: { dir: string; users?: number; redisUrl?: string }): Promise<RedisBenchResult> {
  const workDir = await mkdtemp(join(dir, "redis-"));
  const server = redisUrl ? undefined : await startRedisServer();
  const url = redisUrl ?? server!.url;
  try {
    return { rebuild: await benchRebuildIntoRedis(workDir, url, users), getUser: await benchGetUser(workDir, url) };
  } finally {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function benchRebuildIntoRedis(dir: string, url: string, users: number) {
  // Reads go through the schema check and upcasting, as they do in the service.
  const store = withEventSchemas(createSqliteEventStore({ path: join(dir, "rebuild.sqlite") }));
  const redis = connectRedis(url);
  try {
    if (!(await whenReady(redis, 5000))) throw new Error("Redis is not reachable");
    const events = await fillLog(store, users);
    const head = await store.headPosition();
    const readModel = createRedisReadModel({ redis, keys: redisKeys(`bench:${randomUUID()}`), generation: "rebuild" });
    const started = performance.now();
    const projector = startProjector({ store, readModel, reducers });
    const reached = await projector.waitFor(head, 300_000);
    const seconds = (performance.now() - started) / 1000;
    await projector.stop();
    if (!reached) throw new Error("the rebuild into Redis did not reach the head");
    return { events, eventsPerSecond: Math.round(events / seconds) };
  } finally {
    redis.disconnect();
    await store.close();
  }
}

async function benchGetUser(dir: string, url: string): Promise<HttpFigures> {
  const dataDir = join(dir, "service");
  const service = await startService({ DATA_DIR: dataDir, REDIS_URL: url });
  try {
    const auth = { authorization: `Bearer ${(await readFile(join(dataDir, "admin.pat"), "utf8")).trim()}` };
    const created = await fetch(`${service.url}/management/v1/users/machine`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ userName: "bench-read", name: "Bench" }),
    }).then((response) => response.json() as Promise<{ userId: string }>);
    return await measure({ url: `${service.url}/management/v1/users/${created.userId}`, method: "GET", headers: auth });
  } finally {
    service.child.kill("SIGTERM");
    await once(service.child, "exit");
  }
}

// The service in its own process, as in production, logging errors only (a line per request would
// weigh on the figures); it is up once its health probe answers.
async function startService(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, entryBeside(import.meta.url, "../src/main"), {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "error", PASSWORD_SCRYPT_LOGN: "10", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; ; ) {
    if (await fetch(`${url}/debug/healthz`).then((response) => response.ok, () => false)) return { child, url };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("the service did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

// `node --import tsx bench/redis.ts [redis-url]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = await mkdtemp(join(tmpdir(), "idledger-bench-redis-"));
  try {
    console.log("redis read model:", await benchRedis({ dir, redisUrl: process.argv[2] }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
