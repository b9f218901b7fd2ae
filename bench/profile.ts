import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measure } from "./http.js";
import { caughtUp, fillUsers, SEARCH_TERMS } from "./userSearch.js";
import { entryBeside } from "./entry.js";
import { UNLIMITED_TOKENS } from "./oauth.js";

// `node --import tsx bench/profile.ts [get|post|token|jwt|introspect|contains|equals] [seconds] [users]`:
// runs the service under `node --cpu-prof`, drives one call with autocannon (50 connections): a
// REST read or create, a client_credentials grant (opaque or JWT), an introspection, or ListUsers
// as bench/userSearch.ts sends it (10 connections, on a log of `users` synthetic users, 1,000,000
// unless told); and prints where the service's CPU time went: self time by package or source file,
// then the heaviest functions.

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const root = fileURLToPath(new URL("..", import.meta.url));
const calls = ["get", "post", "token", "jwt", "introspect", "contains", "equals"] as const;
const call = calls.find((name) => name === process.argv[2]) ?? "get";
const seconds = Number(process.argv[3] ?? 5);
const users = Number(process.argv[4] ?? 1_000_000);
const dir = await mkdtemp(join(tmpdir(), "idledger-profile-"));
try {
  const profiles = join(dir, "profiles");
  const start = async (profiled: boolean) => {
    const child = spawn(process.execPath, [...(profiled ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`] : []), ...entryBeside(import.meta.url, "../src/main")], {
      cwd: root,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", PASSWORD_SCRYPT_LOGN: "10", DATA_DIR: join(dir, "data"), ...UNLIMITED_TOKENS },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const port = await new Promise<number>((resolve) => {
      let output = "";
      // Read until the start line, then drained and dropped: the request log must not cost this process (the load generator's).
      const look = (chunk: Buffer) => {
        output += chunk.toString();
        const started = output.split("\n").find((line) => line.includes('"idledger started"'));
        if (!started) return;
        child.stdout!.off("data", look).resume();
        resolve((JSON.parse(started) as { port: number }).port);
      };
      child.stdout!.on("data", look);
    });
    return { child, exited, port };
  };
  const searching = call === "contains" || call === "equals";
  if (searching) {
    // A first start sets the instance up; the users go into its default org, then the profiled start projects them.
    const setup = await start(false);
    const auth = { authorization: `Bearer ${(await readFile(join(dir, "data", "admin.pat"), "utf8")).trim()}` };
    const org = ((await (await fetch(`http://127.0.0.1:${setup.port}/management/v1/orgs/me`, { headers: auth })).json()) as { org: { id: string } }).org.id;
    setup.child.kill("SIGTERM");
    await setup.exited;
    fillUsers(join(dir, "data", "events.sqlite"), org, users);
  }
  const { child, exited, port } = await start(true);
  const url = `http://127.0.0.1:${port}`;
  const token = (await readFile(join(dir, "data", "admin.pat"), "utf8")).trim();
  const auth = { authorization: `Bearer ${token}` };
  let counter = 0;
  let loadStarted = performance.now();
  if (searching) {
    await caughtUp(url, auth);
    const query = call === "equals" ? { userName: SEARCH_TERMS.exact(users), method: "TEXT_QUERY_METHOD_EQUALS" } : { userName: SEARCH_TERMS.lastName.toUpperCase(), method: "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE" };
    const body = () => JSON.stringify({ query: { limit: 100 }, queries: [{ userNameQuery: query }] });
    loadStarted = performance.now();
    console.log(await measure({ url: `${url}/management/v1/users/_search`, method: "POST", headers: auth, body, connections: 10, seconds }));
  } else if (call === "post") {
    const body = () => JSON.stringify({ userName: `profile-${counter++}`, name: "Profile" });
    console.log(await measure({ url: `${url}/management/v1/users/machine`, method: "POST", headers: auth, body, seconds }));
  } else if (call === "get") {
    const created = await fetch(`${url}/management/v1/users/machine`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ userName: "profile-read", name: "Profile" }),
    }).then((r) => r.json() as Promise<{ userId: string }>);
    console.log(await measure({ url: `${url}/management/v1/users/${created.userId}`, method: "GET", headers: auth, seconds }));
  } else {
    console.log(await measure(await oauthLoad(url, auth, call)));
  }
  const loadEnded = performance.now();
  child.kill("SIGTERM");
  await exited;
  const exitedAt = performance.now();
  const [file] = await readdir(profiles);
  // PROFILE_OUT=path keeps the whole profile (for Chrome DevTools or a caller tree).
  if (process.env.PROFILE_OUT) await copyFile(join(profiles, file!), process.env.PROFILE_OUT);
  // Only the samples taken under load: the start (compiling TypeScript) and the stop are left out.
  summarize(JSON.parse(await readFile(join(profiles, file!), "utf8")) as CpuProfile, (exitedAt - loadStarted) * 1000, (exitedAt - loadEnded) * 1000);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** A machine user with a secret, and the OAuth request to drive as it (bench/oauth.ts measures the same). */
async function oauthLoad(url: string, auth: Record<string, string>, call: "token" | "jwt" | "introspect") {
  const api = async (path: string, body: unknown) =>
    (await fetch(url + path, { method: path.endsWith("/secret") ? "PUT" : "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
  const accessTokenType = call === "jwt" ? "ACCESS_TOKEN_TYPE_JWT" : "ACCESS_TOKEN_TYPE_BEARER";
  const { userId } = await api("/management/v1/users/machine", { userName: "profile-oauth", name: "Profile", accessTokenType });
  const { clientSecret } = await api(`/management/v1/users/${userId}/secret`, {});
  const headers = { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`profile-oauth:${clientSecret}`).toString("base64")}` };
  const grant = { url: `${url}/oauth/v2/token`, method: "POST", headers, body: () => "grant_type=client_credentials", seconds } as const;
  if (call !== "introspect") return grant;
  const issued = (await (await fetch(grant.url, { method: "POST", headers, body: grant.body() })).json()) as { access_token: string };
  return { ...grant, url: `${url}/oauth/v2/introspect`, body: () => `token=${issued.access_token}` };
}

/** Self time per area and per function of the samples between `fromEndUs` and `toEndUs` before the profile's end. */
function summarize(profile: CpuProfile, fromEndUs: number, toEndUs: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((sample, i) => {
    at += profile.timeDeltas[i]!;
    if (at < profile.endTime - fromEndUs || at > profile.endTime - toEndUs) return;
    const delta = profile.timeDeltas[i]!;
    total += delta;
    hits.set(sample, (hits.get(sample) ?? 0) + delta);
  });
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    busy += count;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + count);
    const name = `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => `${((100 * count) / busy).toFixed(1).padStart(5)} %  ${name}`);
  console.log(`\nunder load: ${(total / 1000).toFixed(0)} ms, of which busy ${(busy / 1000).toFixed(0)} ms (${((100 * busy) / total).toFixed(0)} %)`);
  console.log("\nself time by area:\n" + top(byArea, 25).join("\n"));
  console.log("\nheaviest functions (self time):\n" + top(byFunction, 30).join("\n"));
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith("node:")) return url;
  const own = /\/(src|bench|test)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|bench)\//, "$1/");
}
