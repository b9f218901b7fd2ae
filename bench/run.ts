import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnService } from "../test/support/process.js";
import { benchAppend } from "./append.js";
import { measure, type HttpFigures } from "./http.js";
import { benchExport } from "./export.js";
import { benchGrpc } from "./grpc.js";
import { benchOAuth } from "./oauth.js";
import { benchRebuild } from "./rebuild.js";
import { benchRedis } from "./redis.js";
import { benchIdleSubscriptions } from "./subscriptions.js";

// `npm run bench`: every figure next to the same-run baseline it is judged against.
// Servers run as their own processes on loopback; autocannon drives them from this one.

interface Row {
  readonly figure: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean;
}
const rows: Row[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function compare(figure: string, measured: HttpFigures, bare: HttpFigures, minRatio: number) {
  const ratio = measured.requestsPerSecond / bare.requestsPerSecond;
  rows.push({
    figure,
    value: `${fmt(measured.requestsPerSecond)} req/s, p99 ${measured.p99Ms} ms${measured.non2xx ? `, ${measured.non2xx} non-2xx` : ""}`,
    baseline: `${fmt(bare.requestsPerSecond)} req/s, p99 ${bare.p99Ms} ms`,
    ratio: `${ratio.toFixed(2)}×`,
    target: `≥ ${minRatio}× bare express`,
    met: ratio >= minRatio && measured.non2xx === 0,
  });
}

/** A figure with no target of its own, shown next to its REST counterpart from the same run. */
function reported(figure: string, measured: { requestsPerSecond: number; p99Ms: number; errors: number }, rest: HttpFigures) {
  rows.push({
    figure,
    value: `${fmt(measured.requestsPerSecond)} req/s, p99 ${Math.round(measured.p99Ms)} ms${measured.errors ? `, ${measured.errors} errors` : ""}`,
    baseline: `REST: ${fmt(rest.requestsPerSecond)} req/s`,
    ratio: `${(measured.requestsPerSecond / rest.requestsPerSecond).toFixed(2)}× REST`,
    target: "none set",
    met: measured.errors === 0,
  });
}

/** A figure judged against another server doing the same job in the same run. */
function against(figure: string, measured: HttpFigures, other: HttpFigures, otherName: string, minRatio: number) {
  const ratio = measured.requestsPerSecond / other.requestsPerSecond;
  const cpu = (f: HttpFigures) => (f.cpuMsPerRequest === undefined ? "" : `, ${f.cpuMsPerRequest.toFixed(2)} ms CPU/req`);
  rows.push({
    figure,
    value: `${fmt(measured.requestsPerSecond)} req/s, p99 ${measured.p99Ms} ms${cpu(measured)}${measured.non2xx ? `, ${measured.non2xx} non-2xx` : ""}`,
    baseline: `${otherName}: ${fmt(other.requestsPerSecond)} req/s, p99 ${other.p99Ms} ms${cpu(other)}`,
    ratio: `${ratio.toFixed(2)}×`,
    target: `≥ ${minRatio}× ${otherName}`,
    met: ratio >= minRatio && measured.non2xx === 0,
  });
}

function absolute(figure: string, value: number, unit: string, min: number, note = "", alsoRequired = true) {
  rows.push({ figure, value: `${fmt(value)} ${unit}${note}`, baseline: "–", ratio: "–", target: `≥ ${fmt(min)} ${unit}`, met: value >= min && alsoRequired });
}

const dir = await mkdtemp(join(tmpdir(), "idledger-bench-"));
try {
  // 1. REST against a bare express route, both on loopback in their own processes.
  const bareProcess = await startBare();
  const bare = {
    post: await measure({ url: `${bareProcess.url}/bare`, method: "POST", body: () => JSON.stringify({ userName: "u", name: "n" }) }),
    get: await measure({ url: `${bareProcess.url}/bare/1`, method: "GET" }),
  };
  bareProcess.stop();

  const service = await spawnService({ DATA_DIR: join(dir, "service") });
  const token = (await readFile(join(dir, "service", "admin.pat"), "utf8")).trim();
  const auth = { authorization: `Bearer ${token}` };
  let counter = 0;
  const create = await measure({
    url: `${service.url}/management/v1/users/machine`,
    method: "POST",
    headers: auth,
    body: () => JSON.stringify({ userName: `bench-${process.pid}-${counter++}`, name: "Bench" }),
  });
  const created = await fetch(`${service.url}/management/v1/users/machine`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ userName: "bench-read", name: "Bench" }),
  }).then((r) => r.json() as Promise<{ userId: string }>);
  const read = await measure({ url: `${service.url}/management/v1/users/${created.userId}`, method: "GET", headers: auth });
  // gRPC over h2c through ZITADEL's own SDK, against the same process.
  const grpc = await benchGrpc({ target: { url: service.url, adminToken: token }, concurrency: 50, seconds: 5 });
  service.child.kill("SIGTERM");
  await service.exited;
  compare("POST /users/machine (fsync'd, 50 conns)", create, bare.post, 0.6);
  compare("GET /users/{id} (50 conns)", read, bare.get, 0.8);
  reported("gRPC AddMachineUser (@zitadel/node, 50 in flight)", grpc.addMachineUser, create);
  reported("gRPC GetUserByID (@zitadel/node, 50 in flight)", grpc.getUserByID, read);

  // 2. OAuth for machine users, next to oidc-provider issuing the same grant in the same run.
  const oauth = await benchOAuth({ dir });
  against("client_credentials, opaque token (durable, 50 conns)", oauth.opaque, oauth.baseline.opaque, "oidc-provider", 1.0);
  against("client_credentials, JWT (durable, 50 conns)", oauth.jwt, oauth.baseline.jwt, "oidc-provider", 1.0);
  const introspectionCpu = oauth.introspection.cpuMsPerRequest?.toFixed(2) ?? "?";
  absolute("introspection, opaque token (50 conns)", oauth.introspection.requestsPerSecond, "req/s", 5000, `, p99 ${oauth.introspection.p99Ms} ms, ${introspectionCpu} ms CPU/req`, oauth.introspection.non2xx === 0);

  // 3. The embedded log and read model.
  const append = await benchAppend({ dir, writers: 50, seconds: 3 });
  const appendNote = `, ${append.busyErrors} SQLITE_BUSY, ${append.eventsPerTransaction.toFixed(0)} events/commit`;
  absolute("raw append, 50 writers (fsync'd)", append.eventsPerSecond, "events/s", 5000, appendNote, append.busyErrors === 0);
  const subscribed = await benchIdleSubscriptions({ dir, subscriptions: 2000, writers: 50, seconds: 3 });
  rows.push({
    figure: `raw append, 50 writers, ${fmt(subscribed.subscriptions)} idle subscriptions`,
    value: `${fmt(subscribed.writesPerSecond)} events/s, ${subscribed.readsPerCommit} log reads/commit`,
    baseline: `no subscription: ${fmt(subscribed.baselineWritesPerSecond)} events/s`,
    ratio: `${(subscribed.writesPerSecond / subscribed.baselineWritesPerSecond).toFixed(2)}×`,
    target: "≤ 1 log read per commit",
    met: subscribed.readsPerCommit <= 1,
  });
  rows.push({
    figure: `raw append, 50 writers, ${fmt(subscribed.subscriptions)} subscriptions whose filter refuses every event`,
    value: `${fmt(subscribed.filteredWritesPerSecond)} events/s`,
    baseline: `no subscription: ${fmt(subscribed.baselineWritesPerSecond)} events/s`,
    ratio: `${(subscribed.filteredWritesPerSecond / subscribed.baselineWritesPerSecond).toFixed(2)}×`,
    target: "none set",
    met: true,
  });
  const rebuild = await benchRebuild({ dir, users: 20_000 });
  absolute(`read-model rebuild from the log, personal data decrypted (${fmt(rebuild.events)} events, 60% sealed)`, rebuild.eventsPerSecond, "events/s", 100_000);

  // 4. Redis read model (its own redis-server) and the replay CLI.
  if (await redisServerAvailable()) {
    const redis = await benchRedis({ dir, users: 20_000 });
    absolute(`rebuild into Redis (${fmt(redis.rebuild.events)} events)`, redis.rebuild.eventsPerSecond, "events/s", 30_000);
    compare("GET /users/{id} from Redis (50 conns)", redis.getUser, bare.get, 0.7);
  } else {
    console.log("SKIP Redis figures: redis-server is not installed");
  }
  const replay = await benchExport({ dir, events: 100_000 });
  absolute(`export to JSON Lines (${fmt(replay.events)} events)`, replay.exportEventsPerSecond, "events/s", 100_000);
  rows.push({ figure: "import into an empty log (fsync'd)", value: `${fmt(replay.importEventsPerSecond)} events/s`, baseline: "–", ratio: "–", target: "none set", met: true });
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(`\nidledger bench — node ${process.version}, ${new Date().toISOString()}\n`);
console.log("| figure | measured | same-run baseline | ratio | target | |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(`| ${row.figure} | ${row.value} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.met ? "met" : "MISSED"} |`);

async function redisServerAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn("redis-server", ["--version"], { stdio: "ignore" });
    probe.once("error", () => resolve(false));
    probe.once("exit", (code) => resolve(code === 0));
  });
}

async function startBare() {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./bareExpress.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}
