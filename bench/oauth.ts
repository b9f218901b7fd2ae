import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measure, type HttpFigures } from "./http.js";
import { entryBeside } from "./entry.js";

export interface OAuthFigures {
  readonly opaque: HttpFigures;
  readonly jwt: HttpFigures;
  readonly introspection: HttpFigures;
  readonly baseline: { readonly opaque: HttpFigures; readonly jwt: HttpFigures };
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });

/**
 * client_credentials tokens/s (opaque and JWT, 50 connections) from idledger, durable (each grant's
 * events fsync'd before the answer, only hashes kept), next to oidc-provider issuing the same grant
 * from memory in the same run; then introspections/s of an opaque token by a machine caller.
 * All three servers run side by side and are measured in alternation, `rounds` times, each figure
 * the median of its rounds: load from outside drifts, and alternating spreads it over both sides.
 */
export async function benchOAuth({ dir, seconds = 4, rounds = 3 }: { dir: string; seconds?: number; rounds?: number }): Promise<OAuthFigures> {
  const providers = { opaque: await startProvider("opaque"), jwt: await startProvider("jwt") };
  const service = await startService(join(dir, "oauth"));
  try {
    const admin = { authorization: `Bearer ${(await readFile(join(dir, "oauth", "admin.pat"), "utf8")).trim()}`, "content-type": "application/json" };
    const api = async (method: string, path: string, body: unknown) =>
      (await fetch(service.url + path, { method, headers: admin, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
    const machine = async (userName: string, accessTokenType: string) => {
      const { userId } = await api("POST", "/management/v1/users/machine", { userName, name: userName, accessTokenType });
      return { userName, secret: (await api("PUT", `/management/v1/users/${userId}/secret`, {})).clientSecret! };
    };
    const opaqueUser = await machine("bench-opaque", "ACCESS_TOKEN_TYPE_BEARER");
    const jwtUser = await machine("bench-jwt", "ACCESS_TOKEN_TYPE_JWT");
    const caller = await machine("bench-caller", "ACCESS_TOKEN_TYPE_BEARER");
    const grant = (url: string, id: string, secret: string, cpuOf: number) => () =>
      measure({ url, method: "POST", headers: { ...FORM, ...basic(id, secret) }, body: () => "grant_type=client_credentials", seconds, cpuOf });
    const idledgerToken = `${service.url}/oauth/v2/token`;
    const runs = {
      opaque: grant(idledgerToken, opaqueUser.userName, opaqueUser.secret, service.pid),
      baselineOpaque: grant(`${providers.opaque.url}/token`, "bench", "bench-secret", providers.opaque.pid),
      jwt: grant(idledgerToken, jwtUser.userName, jwtUser.secret, service.pid),
      baselineJwt: grant(`${providers.jwt.url}/token`, "bench", "bench-secret", providers.jwt.pid),
    };
    const results: Record<keyof typeof runs, HttpFigures[]> = { opaque: [], baselineOpaque: [], jwt: [], baselineJwt: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so neither side always meets the same moment of outside load.
      const order: (keyof typeof runs)[] = round % 2 === 0 ? ["opaque", "baselineOpaque", "jwt", "baselineJwt"] : ["baselineOpaque", "opaque", "baselineJwt", "jwt"];
      for (const name of order) results[name].push(await runs[name]());
    }
    const issued = await fetch(`${service.url}/oauth/v2/token`, { method: "POST", headers: { ...FORM, ...basic(opaqueUser.userName, opaqueUser.secret) }, body: "grant_type=client_credentials" });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const introspection = await measure({
      url: `${service.url}/oauth/v2/introspect`,
      method: "POST",
      headers: { ...FORM, ...basic(caller.userName, caller.secret) },
      body: () => `token=${token}`,
      seconds,
      cpuOf: service.pid,
    });
    return {
      opaque: median(results.opaque),
      jwt: median(results.jwt),
      introspection,
      baseline: { opaque: median(results.baselineOpaque), jwt: median(results.baselineJwt) },
    };
  } finally {
    await service.stop();
    providers.opaque.stop();
    providers.jwt.stop();
  }
}

/** The run with the median rate (its own p99 and errors come with it). */
const median = (figures: HttpFigures[]): HttpFigures => [...figures].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(figures.length / 2)]!;

/**
 * One machine user takes every grant of a run (some 100,000): its limit of live tokens
 * (OAUTH_MAX_LIVE_TOKENS_PER_USER, 100,000 by default) is lifted, the count itself still kept.
 */
export const UNLIMITED_TOKENS = { OAUTH_MAX_LIVE_TOKENS_PER_USER: "1000000000" };

/**
 * The service in its own process, logging every request as in production, into a file: a pipe to
 * this process (busy driving the load) fills up, and Node writes to pipes synchronously, so the
 * service would stall on its own log lines and measure this process instead.
 */
async function startService(dataDir: string) {
  const logFile = `${dataDir}.log`;
  const root = fileURLToPath(new URL("..", import.meta.url));
  const log = openSync(logFile, "w", 0o600);
  const child = spawn(process.execPath, entryBeside(import.meta.url, "../src/main"), {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, PASSWORD_SCRYPT_LOGN: "10", ...UNLIMITED_TOKENS },
    stdio: ["ignore", log, log],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let waited = 0; ; waited += 100) {
    const started = (await readFile(logFile, "utf8")).split("\n").find((line) => line.includes('"idledger started"'));
    if (started) return { url: `http://127.0.0.1:${(JSON.parse(started) as { port: number }).port}`, pid: child.pid!, stop: () => (child.kill("SIGTERM"), exited) };
    if (waited > 30_000 || child.exitCode !== null) throw new Error(`the service did not start: ${await readFile(logFile, "utf8")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startProvider(format: "opaque" | "jwt") {
  const child = spawn(process.execPath, [...entryBeside(import.meta.url, "./oidcProvider"), format], { stdio: ["ignore", "pipe", "ignore"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(join(tmpdir(), "idledger-bench-oauth-"));
  try {
    console.log(JSON.stringify(await benchOAuth({ dir, seconds: Number(process.argv[2] ?? 4) }), null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
