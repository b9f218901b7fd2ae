import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { AddMachineUserRequestSchema, GetUserByIDRequestSchema } from "@zitadel/proto/zitadel/management_pb.js";
import { spawnService } from "../test/support/process.js";

// The same calls over gRPC (h2c, gRPC-framed protobuf) and over REST (HTTP/1.1, JSON), both driven
// by h2load, a light C client: what separates the two figures is the server, not the client.

export interface H2loadFigures {
  readonly requestsPerSecond: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Responses whose HTTP status was not the expected one (2xx; for the duplicate create, 409 on REST). */
  readonly unexpected: number;
}

export interface H2loadResult {
  readonly rest: { readonly getUserByID: H2loadFigures; readonly addMachineUser: H2loadFigures };
  readonly grpc: { readonly getUserByID: H2loadFigures; readonly addMachineUser: H2loadFigures };
  /** grpc-status of one call of each, taken after the runs. */
  readonly grpcStatus: { readonly getUserByID: string | undefined; readonly addMachineUser: string | undefined };
}

export interface H2loadOptions {
  readonly url: string;
  readonly token: string;
  /** A user to read. */
  readonly userId: string;
  /** Where the request bodies are written. */
  readonly dir: string;
  readonly connections?: number;
  readonly seconds?: number;
}

export async function h2loadAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn("h2load", ["--version"], { stdio: "ignore" });
    probe.once("error", () => resolve(false));
    probe.once("exit", (code) => resolve(code === 0));
  });
}

const RPC = "/zitadel.management.v1.ManagementService";

/**
 * GetUserByID and AddMachineUser, each over REST and then gRPC, `connections` connections with one
 * request in flight each. h2load sends one body for every request, so every AddMachineUser after
 * the first is the same user again: the command runs, its append is refused by the userName's
 * unique constraint (409 / ALREADY_EXISTS, `V3-DKcYh`), on both transports alike.
 */
export async function benchH2load({ url, token, userId, dir, connections = 50, seconds = 5 }: H2loadOptions): Promise<H2loadResult> {
  const auth = `authorization: Bearer ${token}`;
  const addBody = { userName: "h2load-duplicate", name: "Bench", description: "" };
  const files = {
    restAdd: await bodyFile(dir, "rest-add.json", Buffer.from(JSON.stringify(addBody))),
    grpcGet: await bodyFile(dir, "grpc-get.bin", grpcFrame(GetUserByIDRequestSchema, { id: userId })),
    grpcAdd: await bodyFile(dir, "grpc-add.bin", grpcFrame(AddMachineUserRequestSchema, addBody)),
  };
  const base = ["-c", String(connections), "-m", "1", "-D", String(seconds), "--warm-up-time=1", "-H", auth];
  const grpcHeaders = ["-H", "content-type: application/grpc", "-H", "te: trailers"];
  const rest = {
    getUserByID: await h2load([...base, "--h1", `${url}/management/v1/users/${userId}`], "2xx"),
    addMachineUser: await h2load([...base, "--h1", "-H", "content-type: application/json", "-d", files.restAdd, `${url}/management/v1/users/machine`], "4xx"),
  };
  const grpc = {
    getUserByID: await h2load([...base, ...grpcHeaders, "-d", files.grpcGet, `${url}${RPC}/GetUserByID`], "2xx"),
    addMachineUser: await h2load([...base, ...grpcHeaders, "-d", files.grpcAdd, `${url}${RPC}/AddMachineUser`], "2xx"),
  };
  const grpcStatus = {
    getUserByID: await grpcStatusOf(url, token, `${RPC}/GetUserByID`, grpcFrame(GetUserByIDRequestSchema, { id: userId })),
    addMachineUser: await grpcStatusOf(url, token, `${RPC}/AddMachineUser`, grpcFrame(AddMachineUserRequestSchema, addBody)),
  };
  return { rest, grpc, grpcStatus };
}

async function bodyFile(dir: string, name: string, body: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body);
  return path;
}

/** A gRPC length-prefixed message: no compression, 4-byte big-endian length, the protobuf bytes. */
function grpcFrame<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer {
  const bytes = toBinary(schema, create(schema, init));
  const frame = Buffer.alloc(5 + bytes.length);
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
}

function h2load(args: readonly string[], expected: "2xx" | "4xx"): Promise<H2loadFigures> {
  return new Promise((resolve, reject) => {
    execFile("h2load", args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(new Error(`h2load failed: ${error.message}\n${stdout}`));
      const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1]?.replace(/,/g, "") ?? NaN);
      const ms = (field: "mean" | "max") => {
        const line = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(stdout);
        const value = line?.[field === "max" ? 2 : 3] ?? "NaN";
        return value.endsWith("us") ? parseFloat(value) / 1000 : value.endsWith("ms") ? parseFloat(value) : parseFloat(value) * 1000;
      };
      const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout)?.slice(1).map(Number) ?? [NaN, NaN, NaN, NaN];
      const [ok = NaN, redirects = NaN, refused = NaN, failed = NaN] = codes;
      const broken = number(/(\d+) errored/) + number(/(\d+) timeout/);
      resolve({
        requestsPerSecond: number(/finished in [\d.]+\w*, ([\d.]+) req\/s/),
        meanMs: Math.round(ms("mean") * 100) / 100,
        maxMs: Math.round(ms("max") * 10) / 10,
        unexpected: redirects + failed + (expected === "2xx" ? refused : ok) + broken,
      });
    });
  });
}

/** One call over h2c, for its grpc-status trailer. */
function grpcStatusOf(url: string, token: string, path: string, body: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = http2.connect(url);
    session.once("error", () => resolve(undefined));
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${token}` });
    let status: string | undefined;
    // A trailers-only answer (an error) carries grpc-status in its headers.
    stream.once("response", (headers) => (status = headers["grpc-status"] as string | undefined));
    stream.once("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
    stream.on("data", () => {});
    stream.once("close", () => {
      session.close();
      resolve(status);
    });
    stream.end(body);
  });
}

// `node --import tsx bench/h2load.ts [seconds]`: the four figures against a fresh service, as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(await h2loadAvailable())) {
    console.log("SKIP h2load figures: h2load is not installed (Debian: apt-get install nghttp2-client)");
    process.exit(0);
  }
  const dir = await mkdtemp(join(tmpdir(), "idledger-h2load-"));
  const service = await spawnService({ DATA_DIR: join(dir, "service") });
  try {
    const token = (await readFile(join(dir, "service", "admin.pat"), "utf8")).trim();
    const created = await fetch(`${service.url}/management/v1/users/machine`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ userName: "h2load-read", name: "Bench" }),
    }).then((r) => r.json() as Promise<{ userId: string }>);
    console.log(JSON.stringify(await benchH2load({ url: service.url, token, userId: created.userId, dir, seconds: Number(process.argv[2] ?? 5) }), null, 2));
  } finally {
    service.child.kill("SIGTERM");
    await service.exited;
    await rm(dir, { recursive: true, force: true });
  }
}
