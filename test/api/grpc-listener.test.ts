import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { ErrorDetailSchema } from "@zitadel/proto/zitadel/message_pb.js";
import { managementProtoset } from "../../src/api/connect/protoset.js";
import { rpcHandler } from "../../src/api/connect/service.js";
import { createListener, type Listener } from "../../src/api/listener.js";
import type { ServedMethod } from "../../src/api/pipeline.js";
import { createLogger } from "../../src/logger.js";
import { startTestService, type TestService } from "../support/service.js";

/** Sends raw bytes, in pieces with a pause between, and returns what came back first. */
async function firstAnswer(port: number, pieces: readonly (string | Buffer)[]): Promise<Buffer> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  const answer = new Promise<Buffer>((resolve) => socket.once("data", resolve));
  for (const piece of pieces) {
    socket.write(piece);
    await sleep(30);
  }
  const data = await answer;
  socket.destroy();
  return data;
}

/** An HTTP/2 request with prior knowledge (h2c), or over TLS; resolves with status, headers and body. */
async function http2Request(url: string, headers: http2.OutgoingHttpHeaders, body?: string, ca?: Buffer) {
  const session = http2.connect(url, ca ? { ca } : {});
  try {
    const stream = session.request(headers);
    stream.end(body);
    const [responseHeaders, text] = await Promise.all([
      new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve)),
      new Promise<string>((resolve) => {
        let data = "";
        stream.setEncoding("utf8").on("data", (chunk: string) => (data += chunk)).on("end", () => resolve(data));
      }),
    ]);
    return { status: responseHeaders[":status"], headers: responseHeaders, body: text };
  } finally {
    session.close();
  }
}

describe("one cleartext port", () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.dispose());

  it("serves REST over HTTP/2 with prior knowledge too (express behind the http2 server)", async () => {
    const auth = { authorization: `Bearer ${service.adminToken}` };
    const created = await http2Request(
      service.url,
      { ":method": "POST", ":path": "/management/v1/users/machine", "content-type": "application/json", ...auth },
      JSON.stringify({ userName: "over-h2", name: "H2" }),
    );
    assert.equal(created.status, 200, created.body);
    const { userId, details } = JSON.parse(created.body);
    const read = await http2Request(service.url, { ":method": "GET", ":path": `/management/v1/users/${userId}`, ...auth });
    assert.equal(read.status, 200);
    assert.deepEqual(JSON.parse(read.body).user.details, details);
    assert.equal((await http2Request(service.url, { ":method": "GET", ":path": "/nowhere" })).status, 404);
  });

  it("tells HTTP/1.1 from HTTP/2 when the first bytes arrive in pieces", async () => {
    const http1 = await firstAnswer(service.port, ["P", "OST /management/v1/users/machine HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"]);
    assert.match(http1.toString("latin1"), /^HTTP\/1\.1 401 /);
    const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const http2Answer = await firstAnswer(service.port, ["PRI * HTTP/2.0\r\n", Buffer.concat([Buffer.from("\r\nSM\r\n\r\n"), emptySettings])]);
    assert.equal(http2Answer[3], 4, "the server's first HTTP/2 frame is SETTINGS");
  });

  it("answers gRPC for any other service or method UNIMPLEMENTED, as gRPC servers do", async () => {
    const answer = await http2Request(
      service.url,
      { ":method": "POST", ":path": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "content-type": "application/grpc", te: "trailers" },
      "",
    );
    assert.equal(answer.headers["grpc-status"], "12");
    assert.equal(answer.headers["grpc-message"], "unknown service grpc.reflection.v1.ServerReflection");
    const noMethod = await http2Request(
      service.url,
      { ":method": "POST", ":path": "/zitadel.management.v1.ManagementService/NoSuchMethod", "content-type": "application/grpc", te: "trailers" },
      "",
    );
    assert.equal(noMethod.headers["grpc-status"], "12");
    assert.equal(noMethod.headers["grpc-message"], "unknown method NoSuchMethod for service zitadel.management.v1.ManagementService");
  });

  it("writes a protoset for grpcurl: ManagementService with every file it imports", () => {
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, managementProtoset()));
    const service = registry.getService(ManagementService.typeName);
    assert.deepEqual(service?.methods.map((m) => m.name), ManagementService.methods.map((m) => m.name));
  });

  it("stops promptly with idle HTTP/1.1, HTTP/2 and silent connections open", async () => {
    const own = await startTestService();
    const h2 = createClient(ManagementService, createGrpcTransport({ baseUrl: own.url }));
    await h2.healthz({});
    const h1 = createClient(ManagementService, createConnectTransport({ baseUrl: own.url, httpVersion: "1.1" }));
    await h1.healthz({});
    const silent = net.connect(own.port, "127.0.0.1");
    await new Promise((resolve) => silent.once("connect", resolve));
    const started = Date.now();
    await own.dispose();
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  });
});

describe("the RPC handler on its own", () => {
  const waiting: (() => void)[] = [];
  let listener: Listener;
  let url: string;
  const served = new Map<string, ServedMethod>([
    [
      "GetUserByID",
      async () => {
        throw Object.assign(new Error("SQLITE_CORRUPT at /var/lib/secret.db"), { stack: "Error: at secret (/src/secret.ts:1:1)" });
      },
    ],
    ["Healthz", () => new Promise((resolve) => waiting.push(() => resolve({})))],
  ]);

  before(async () => {
    const fallback = (_req: unknown, res: { writeHead(status: number): void; end(): void }) => {
      res.writeHead(404);
      res.end();
    };
    listener = createListener(rpcHandler({ served, logger: createLogger("error", true), fallback }));
    await new Promise<void>((resolve) => listener.server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(listener.server.address() as net.AddressInfo).port}`;
  });

  it("answers an unexpected failure INTERNAL with a fixed message: no driver text, no stack on the wire", async () => {
    const transports: Transport[] = [createGrpcTransport({ baseUrl: url }), createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })];
    for (const transport of transports) {
      const error = await createClient(ManagementService, transport).getUserByID({ id: "1" }).then(
        () => assert.fail("expected an error"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(error.code, 13);
      assert.equal(error.rawMessage, "An internal error occurred (API-iN7Lp)");
      assert.deepEqual(error.findDetails(ErrorDetailSchema).map((d) => d.id), ["API-iN7Lp"]);
      assert.doesNotMatch(JSON.stringify([...error.metadata]), /secret|SQLITE/);
    }
  });

  it("lets in-flight calls finish when it stops, over HTTP/2 and HTTP/1.1", async () => {
    const calls = [
      createClient(ManagementService, createGrpcTransport({ baseUrl: url })).healthz({}),
      createClient(ManagementService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })).healthz({}),
    ];
    while (waiting.length < calls.length) await sleep(10);
    let closed = false;
    const closing = listener.close().then(() => (closed = true));
    await sleep(50);
    assert.equal(closed, false, "waits for the calls in flight");
    for (const release of waiting) release();
    assert.deepEqual(
      (await Promise.all(calls)).map((r) => r.$typeName),
      ["zitadel.management.v1.HealthzResponse", "zitadel.management.v1.HealthzResponse"],
    );
    await closing;
  });
});

const noOpenssl = spawnSync("openssl", ["version"]).status !== 0 && "openssl is not installed: no test certificate";

describe("with TLS", { skip: noOpenssl }, () => {
  let service: TestService;
  let dir: string;
  let ca: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "idledger-tls-"));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
      .concat(["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]), { stdio: "ignore" });
    ca = await readFile(cert);
    service = await startTestService({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
  });
  after(async () => {
    await service?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves REST over HTTP/1.1 and HTTP/2 (ALPN), gRPC and gRPC-web on the same port", async () => {
    assert.match(service.url, /^https:/);
    const overHttp1 = await new Promise<{ status?: number; alpn: string | false }>((resolve, reject) => {
      https
        .get(`${service.url}/debug/healthz`, { ca }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, alpn: (res.socket as import("node:tls").TLSSocket).alpnProtocol ?? false });
        })
        .on("error", reject);
    });
    assert.deepEqual(overHttp1, { status: 200, alpn: false });
    const overHttp2 = await http2Request(service.url, { ":method": "GET", ":path": "/debug/healthz" }, undefined, ca);
    assert.deepEqual([overHttp2.status, overHttp2.body], [200, "ok"]);

    const grpc = createClient(ManagementService, createGrpcTransport({ baseUrl: service.url, nodeOptions: { ca } }));
    const grpcWeb = createClient(ManagementService, createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1", nodeOptions: { ca } }));
    const headers = { authorization: `Bearer ${service.adminToken}` };
    const { userId } = await grpc.addMachineUser({ userName: "over-tls", name: "TLS" }, { headers });
    assert.equal((await grpcWeb.getUserByID({ id: userId }, { headers })).user?.userName, "over-tls");
  });
});
