import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import Transport from "winston-transport";
import winston from "winston";
import { loadConfig } from "../../src/config.js";
import { ADMIN_PAT_FILE, startService, type RunningService } from "../../src/service.js";
import { addMachine, basic, generateSecret, type TestMachine } from "../support/oauth.js";
import { restClient } from "../support/service.js";

/**
 * POST /oauth/v2/token, /introspect and /revoke are served on HTTP/1.1 without express (the lean
 * path); express still serves every other spelling of those paths (a trailing slash, other case)
 * and HTTP/2. The same raw request to both must get the same bytes back (only Date and the token
 * itself differ), and the same log line, without a secret or token in it.
 */
let service: RunningService;
let dir: string;
let machine: TestMachine;
let secret: string;
const lines: Record<string, unknown>[] = [];

class Capture extends Transport {
  override log(info: Record<string, unknown>, done: () => void) {
    lines.push(info);
    done();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-test-"));
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, PASSWORD_SCRYPT_LOGN: "10", CONSISTENCY_TIMEOUT_MS: "10000" });
  service = await startService(config, winston.createLogger({ level: "info", format: winston.format.json(), transports: [new Capture()] }));
  const adminToken = (await readFile(join(dir, ADMIN_PAT_FILE), "utf8")).trim();
  const call = restClient({ url: service.url, adminToken });
  machine = await addMachine(call, "lean-path");
  secret = await generateSecret(call, machine);
});
after(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

/** One request on its own connection, the whole answer as bytes, Date and the random parts of a token masked. */
function raw(path: string, headers: Record<string, string>, body: Buffer | string = ""): Promise<string> {
  const { port } = new URL(service.url);
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = [`POST ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, "connection: close", `content-length: ${payload.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    // Written, not ended: a client that half-closes first has its request aborted by node:http, on either path.
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(Buffer.concat([Buffer.from(head.join("\r\n") + "\r\n\r\n"), payload])));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () =>
      resolve(
        Buffer.concat(chunks)
          .toString("latin1")
          .replace(/\r\nDate: [^\r]+/, "\r\nDate: -")
          .replace(/"access_token":"\d+\.[\w-]{43}"/, '"access_token":"-"'),
      ),
    );
  });
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** The lean path's answer and express's to the same request, which must be byte for byte the same. */
async function bothPaths(path: string, headers: Record<string, string>, body?: Buffer | string): Promise<string> {
  const lean = await raw(path, { "x-request-id": "lean", ...headers }, body);
  const viaExpress = await raw(`${path}/`, { "x-request-id": "lean", ...headers }, body);
  assert.equal(lean, viaExpress);
  return lean;
}

/** A fresh opaque token, unmasked. */
async function grant(): Promise<string> {
  const answer = await fetch(`${service.url}/oauth/v2/token`, { method: "POST", headers: { ...FORM, ...basic(machine.userName, secret) }, body: "grant_type=client_credentials" });
  return ((await answer.json()) as { access_token: string }).access_token;
}

const statusLine = (answer: string) => answer.slice(0, answer.indexOf("\r\n"));
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>;

describe("the lean OAuth path answers as express does", () => {
  it("a grant: the same status, headers (Cache-Control: no-store, Pragma: no-cache) and body shape", async () => {
    const answer = await bothPaths("/oauth/v2/token", { ...FORM, ...basic(machine.userName, secret) }, "grant_type=client_credentials");
    assert.equal(statusLine(answer), "HTTP/1.1 200 OK");
    assert.match(answer, /\r\ncache-control: no-store\r\npragma: no-cache\r\nContent-Type: application\/json; charset=utf-8\r\nContent-Length: \d+\r\n/);
    assert.deepEqual(Object.keys(bodyOf(answer)), ["access_token", "token_type", "expires_in"]);
  });

  const refusals: ReadonlyArray<readonly [string, Record<string, string>, Buffer | string, string, Record<string, unknown>]> = [
    ["an unknown grant type", FORM, "grant_type=password", "400", { error: "unsupported_grant_type", error_description: "password not supported" }],
    ["no grant type", FORM, "scope=openid", "400", { error: "invalid_request", error_description: "grant_type missing" }],
    ["a JSON body (not a form: an empty one)", { "content-type": "application/json" }, '{"grant_type":"client_credentials"}', "400", { error: "invalid_request", error_description: "grant_type missing" }],
    ["no content type", {}, "grant_type=client_credentials", "400", { error: "invalid_request", error_description: "grant_type missing" }],
    ["a body over 16 KB", FORM, `grant_type=client_credentials&scope=${"a".repeat(17_000)}`, "400", { error: "invalid_request", error_description: "the request body is too large" }],
    ["33 parameters", FORM, Array.from({ length: 33 }, (_, i) => `p${i}=1`).join("&"), "400", { error: "invalid_request", error_description: "the request body is too large" }],
    ["an unsupported charset", { "content-type": "application/x-www-form-urlencoded; charset=koi8-r" }, "grant_type=client_credentials", "400", { error: "invalid_request", error_description: "error parsing form" }],
    ["a broken %-escape (Go's ParseForm refuses it)", FORM, "grant_type=client_credentials&scope=%zz", "400", { error: "invalid_request", error_description: "error parsing form" }],
    ["a broken %-escape in a compressed form", { ...FORM, "content-encoding": "gzip" }, gzipSync("grant_type=%C3"), "400", { error: "invalid_request", error_description: "error parsing form" }],
    ["a parameter given twice", FORM, "grant_type=client_credentials&grant_type=client_credentials", "400", { error: "invalid_request", error_description: "parameter grant_type must be given once" }],
    ["a wrong secret in Basic auth", { ...FORM, ...basic("lean-path", "wrong") }, "grant_type=client_credentials", "400", { error: "invalid_request", error_description: "Errors.User.Machine.Secret.Invalid" }],
    ["a Basic header that does not decode", { ...FORM, authorization: `Basic ${Buffer.from("%zz:x").toString("base64")}` }, "grant_type=client_credentials", "400", { error: "invalid_client", error_description: "invalid basic auth header" }],
    ["Basic auth and a form secret at once", { ...FORM, ...basic("lean-path", "x") }, "grant_type=client_credentials&client_id=a&client_secret=b", "400", { error: "invalid_request", error_description: "client authentication must not use more than one method" }],
  ];
  for (const [name, headers, body, status, expected] of refusals) {
    it(`refuses ${name} in OAuth's shape, never a 500`, async () => {
      const answer = await bothPaths("/oauth/v2/token", headers, body);
      assert.equal(statusLine(answer).split(" ")[1], status, answer);
      assert.deepEqual(bodyOf(answer), expected);
    });
  }

  it("reads a gzip-compressed form as express does", async () => {
    const answer = await bothPaths("/oauth/v2/token", { ...FORM, "content-encoding": "gzip", ...basic(machine.userName, secret) }, gzipSync("grant_type=client_credentials"));
    assert.equal(statusLine(answer), "HTTP/1.1 200 OK");
  });

  it("reads a form with charset=utf-8, and one in ISO-8859-1, as the same form", async () => {
    for (const type of ["application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded;charset=iso-8859-1"]) {
      const answer = await bothPaths("/oauth/v2/token", { "content-type": type, ...basic(machine.userName, secret) }, "grant_type=client_credentials&scope=profile+urn%3Azitadel%3Aiam%3Auser%3Aresourceowner");
      assert.equal(statusLine(answer), "HTTP/1.1 200 OK", type);
      assert.deepEqual(Object.keys(bodyOf(answer)), ["access_token", "token_type", "expires_in"]);
    }
  });

  it("reads a secret sent %-escaped in the form", async () => {
    const escaped = [...secret].map((char) => `%${char.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
    const answer = await bothPaths("/oauth/v2/token", FORM, `grant_type=client_credentials&client_id=${machine.userName}&client_secret=${escaped}`);
    assert.equal(statusLine(answer), "HTTP/1.1 200 OK");
  });

  it("answers a corrupt compressed body with express's own error body", async () => {
    const answer = await bothPaths("/oauth/v2/token", { ...FORM, "content-encoding": "gzip" }, "not gzip");
    assert.equal(statusLine(answer).split(" ")[1], "400");
  });

  it("introspection and revocation: the same answers, unauthenticated, unknown and known tokens", async () => {
    const token = await grant();
    const caller = basic(machine.userName, secret);
    assert.deepEqual(bodyOf(await bothPaths("/oauth/v2/introspect", FORM, `client_id=${machine.userName}&token=${token}`)), { error: "invalid_client", error_description: "client must be authenticated" });
    assert.deepEqual(bodyOf(await bothPaths("/oauth/v2/introspect", { ...FORM, ...caller }, "token=1.unknown")), { active: false });
    const active = await bothPaths("/oauth/v2/introspect", { ...FORM, ...caller }, `token=${token}`);
    assert.match(active, /\r\ncache-control: no-store\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    assert.equal(bodyOf(active).active, true);
    const revoked = await bothPaths("/oauth/v2/revoke", { ...FORM, ...caller }, `token=${token}`);
    assert.match(revoked, /^HTTP\/1.1 200 OK\r\nx-request-id: lean\r\nDate: -\r\nConnection: close\r\nContent-Length: 0\r\n\r\n$/);
    assert.deepEqual(bodyOf(await bothPaths("/oauth/v2/introspect", { ...FORM, ...caller }, `token=${token}`)), { active: false });
  });

  it("logs one line per request with the route template, and never the secret, token or assertion", async () => {
    lines.length = 0;
    const answer = await raw("/oauth/v2/token", { ...FORM, "x-request-id": "logged", ...basic(machine.userName, secret) }, "grant_type=client_credentials");
    const token = await grant();
    await raw("/oauth/v2/introspect", { ...FORM, ...basic(machine.userName, secret) }, `token=${token}`);
    await raw("/oauth/v2/token", FORM, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    assert.equal(statusLine(answer), "HTTP/1.1 200 OK");
    const requests = lines.filter((line) => line.message === "request");
    assert.deepEqual(
      requests.map(({ route, status, method }) => ({ route, status, method })),
      [
        { route: "/oauth/v2/token", status: 200, method: "POST" },
        { route: "/oauth/v2/token", status: 200, method: "POST" },
        { route: "/oauth/v2/introspect", status: 200, method: "POST" },
        { route: "/oauth/v2/token", status: 400, method: "POST" },
      ],
    );
    assert.equal(requests[0]!.requestId, "logged");
    const text = JSON.stringify(lines);
    for (const secretPart of [secret, token, token.split(".")[1]!, "c2ln", basic(machine.userName, secret).authorization]) assert.ok(!text.includes(secretPart), "a secret in the log");
  });

  it("counts its requests in the metrics under the route template", async () => {
    const metrics = await (await fetch(`${service.url}/debug/metrics`)).text();
    assert.match(metrics, /idledger_request_duration_seconds_count\{[^}]*"\/oauth\/v2\/token"[^}]*\} \d+/);
  });
});
