import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnService } from "../test/support/process.js";
import { benchAppend } from "./append.js";
import { measure, type HttpFigures } from "./http.js";
import { benchRebuild } from "./rebuild.js";

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

  const service = await spawnService({ DATA_DIR: join(dir, "service"), LOG_LEVEL: "error" });
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
  service.child.kill("SIGTERM");
  await service.exited;
  compare("POST /users/machine (fsync'd, 50 conns)", create, bare.post, 0.6);
  compare("GET /users/{id} (50 conns)", read, bare.get, 0.8);

  // 2. The embedded log and read model.
  const append = await benchAppend({ dir, writers: 50, seconds: 3 });
  const appendNote = `, ${append.busyErrors} SQLITE_BUSY, ${append.eventsPerTransaction.toFixed(0)} events/commit`;
  absolute("raw append, 50 writers (fsync'd)", append.eventsPerSecond, "events/s", 5000, appendNote, append.busyErrors === 0);
  const rebuild = await benchRebuild({ dir, users: 20_000 });
  absolute(`read-model rebuild from the log (${fmt(rebuild.events)} events)`, rebuild.eventsPerSecond, "events/s", 100_000);
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(`\nidledger bench — node ${process.version}, ${new Date().toISOString()}\n`);
console.log("| figure | measured | same-run baseline | ratio | target | |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(`| ${row.figure} | ${row.value} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.met ? "met" : "MISSED"} |`);

async function startBare() {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./bareExpress.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}
