import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import type { HttpHandler } from "../../src/api/connect/service.js";
import { createListener, defaultConnectionLimits, type ConnectionLimits, type Listener } from "../../src/api/listener.js";
import { startTestService, type TestService } from "../support/service.js";

// Small limits, so that every deadline passes within a few seconds, yet above a stall of a loaded
// machine between a client's connect and its first write; each wait below gives up after a few.
const limits: ConnectionLimits = {
  ...defaultConnectionLimits,
  headersTimeoutMs: 500,
  requestTimeoutMs: 1200,
  keepAliveTimeoutMs: 500,
  idleTimeoutMs: 2500,
  maxConcurrentStreams: 2,
};
const GIVE_UP_MS = 6000;

/**
 * Answers `ok` once the body is in, never answers `/hold`, writes a byte to `/stream` every 200 ms
 * as the SSE stream writes keep-alive comments, and counts the `/slow` requests being answered at once.
 */
function testHandler() {
  const state = { inFlight: 0, mostInFlight: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/hold") return;
    if (req.url === "/stream") {
      const beat = setInterval(() => res.write("."), 200);
      res.once("close", () => clearInterval(beat));
      return;
    }
    if (req.url === "/slow") {
      state.mostInFlight = Math.max(state.mostInFlight, ++state.inFlight);
      setTimeout(() => {
        state.inFlight--;
        res.end("ok");
      }, 100);
      return;
    }
    let length = 0;
    req.on("data", (chunk: Buffer) => (length += chunk.length));
    req.on("end", () => res.end(`ok ${length}`));
  };
  return { handler: handler as unknown as HttpHandler, state };
}

async function start(options: { tls?: { cert: Buffer; key: Buffer }; limits: ConnectionLimits }) {
  const { handler, state } = testHandler();
  const listener = createListener(handler, options);
  await new Promise<void>((resolve) => listener.server.listen(0, "127.0.0.1", resolve));
  return { listener, state, port: (listener.server.address() as AddressInfo).port };
}

/** What came back on a socket and whether the server closed it before we gave up waiting. */
function watch(socket: Socket) {
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => {});
  const closed = new Promise<boolean>((resolve) => {
    socket.once("close", () => resolve(true));
    setTimeout(() => resolve(false), GIVE_UP_MS).unref();
  });
  return {
    received: () => received,
    closed: async () => {
      const result = await closed;
      socket.destroy();
      return result;
    },
  };
}

/** A socket on which an HTTP/1.1 request may be written as raw bytes, cleartext or TLS. */
type Dial = () => Promise<Socket>;
const dialCleartext = (port: number): Dial => async () => {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
};
const dialTls = (port: number, ca: Buffer, protocol: "http/1.1" | "h2"): Dial => async () => {
  const socket = tls.connect({ port, host: "127.0.0.1", ca, ALPNProtocols: [protocol] });
  await new Promise((resolve) => socket.once("secureConnect", resolve));
  return socket;
};

/** An HTTP/2 session that keeps its answers. */
async function session(url: string, ca?: Buffer) {
  const client = http2.connect(url, ca ? { ca } : {});
  client.on("error", () => {});
  await new Promise((resolve) => client.once("remoteSettings", resolve));
  const closed = new Promise<boolean>((resolve) => {
    client.once("close", () => resolve(true));
    setTimeout(() => resolve(false), GIVE_UP_MS).unref();
  });
  return {
    client,
    closed,
    request(headers: http2.OutgoingHttpHeaders, body?: string) {
      const stream = client.request(headers, { endStream: body === undefined });
      if (body !== undefined) stream.end(body);
      return answerOf(stream);
    },
  };
}

function answerOf(stream: http2.ClientHttp2Stream) {
  return new Promise<{ status?: number; body: string; rstCode?: number }>((resolve) => {
    let status: number | undefined;
    let body = "";
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    stream.on("error", () => {});
    stream.once("close", () => resolve({ status, body, rstCode: stream.rstCode }));
  });
}

/** Writes one byte of the body every 50 ms, well inside the idle timeout, until stopped. */
function dribble(write: () => boolean | void): () => void {
  const timer = setInterval(() => {
    try {
      write();
    } catch {
      // the server closed it
    }
  }, 50);
  return () => clearInterval(timer);
}

function http1Cases(title: string, dial: () => Dial) {
  describe(`${title}: HTTP/1.1`, { concurrency: true }, () => {
    it("closes a connection that sends half a request, answering 408, after the header timeout", async () => {
      const socket = await dial()();
      const seen = watch(socket);
      socket.write("GET /debug/healthz HTTP/1.1\r\nHost: x\r\n");
      assert.equal(await seen.closed(), true, "the half-sent request still holds its connection");
      assert.match(seen.received(), /^HTTP\/1\.1 408 /);
    });

    it("closes a request whose body trickles in after the request timeout, answering 408", async () => {
      const socket = await dial()();
      const seen = watch(socket);
      socket.write("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
      const stop = dribble(() => socket.write("a"));
      const closed = await seen.closed();
      stop();
      assert.equal(closed, true, "the slow body still holds its connection");
      assert.match(seen.received(), /^HTTP\/1\.1 408 /);
    });

    it("closes a kept-alive connection once it has been idle for the keep-alive timeout", async () => {
      const socket = await dial()();
      const seen = watch(socket);
      socket.write("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await seen.closed(), true, "the idle keep-alive connection stays open");
      assert.match(seen.received(), /^HTTP\/1\.1 200 [^]*\r\n\r\nok 0$/);
    });

    it("keeps an answer that goes on writing open past every timeout", async () => {
      const socket = await dial()();
      const seen = watch(socket);
      socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      await sleep(limits.idleTimeoutMs + 1000);
      assert.equal(socket.destroyed, false);
      assert.match(seen.received(), /^HTTP\/1\.1 200 [^]*(1\r\n\.\r\n){6}/);
      socket.destroy();
    });

    it("closes a connection whose request moves no byte for the idle timeout", async () => {
      const socket = await dial()();
      const seen = watch(socket);
      socket.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await seen.closed(), true);
      assert.equal(seen.received(), "");
    });
  });
}

function http2Cases(title: string, target: () => { url: string; ca?: Buffer; dialRaw: Dial; state: { mostInFlight: number } }) {
  describe(`${title}: HTTP/2`, { concurrency: true }, () => {
    it("closes a connection whose preface is not followed by SETTINGS within the header timeout", async () => {
      const socket = await target().dialRaw();
      const seen = watch(socket);
      socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      assert.equal(await seen.closed(), true, "the session without SETTINGS stays open");
    });

    it("answers 408 and cancels a stream whose body trickles in after the request timeout", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      const stream = h2.client.request({ ":method": "POST", ":path": "/body" });
      const answer = answerOf(stream);
      const stop = dribble(() => stream.write("a"));
      const settled = await Promise.race([answer, sleep(GIVE_UP_MS, undefined, { ref: false })]);
      stop();
      assert.ok(settled, "the slow body still holds its stream");
      assert.equal(settled.status, 408);
      assert.equal(settled.rstCode, http2.constants.NGHTTP2_CANCEL);
      h2.client.destroy();
    });

    it("closes a session whose streams keep sending half a body, one after the other, once no request completed within the request timeout", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      // A new half-sent body before the last one is cancelled: the session always has a stream open.
      const stops: (() => void)[] = [];
      const open = () => {
        const stream = h2.client.request({ ":method": "POST", ":path": "/body" });
        stream.on("error", () => {});
        stops.push(dribble(() => stream.write("a")));
      };
      open();
      const opener = setInterval(() => h2.client.closed || h2.client.destroyed || open(), limits.requestTimeoutMs * 0.6);
      const closed = await h2.closed;
      clearInterval(opener);
      for (const stop of stops) stop();
      assert.equal(closed, true, "a session that completes no request stays open");
    });

    it("keeps a session open through a timed-out body while its other requests complete", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      const stream = h2.client.request({ ":method": "POST", ":path": "/body" });
      const answer = answerOf(stream);
      const stop = dribble(() => stream.write("a"));
      const completing = setInterval(() => void h2.request({ ":path": "/ok" }), limits.requestTimeoutMs / 4);
      assert.equal((await answer).status, 408);
      stop();
      await sleep(limits.requestTimeoutMs * 1.5);
      clearInterval(completing);
      assert.equal(h2.client.closed || h2.client.destroyed, false, "the session that completes requests was closed");
      assert.deepEqual(await h2.request({ ":path": "/ok" }), { status: 200, body: "ok 0", rstCode: 0 });
      h2.client.destroy();
    });

    it("closes a session that has had no open stream for the keep-alive timeout", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      assert.deepEqual(await h2.request({ ":path": "/ok" }), { status: 200, body: "ok 0", rstCode: 0 });
      assert.equal(await h2.closed, true, "the idle session stays open");
    });

    it("keeps a stream that goes on writing open past every timeout", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      const stream = h2.client.request({ ":path": "/stream" });
      let received = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
      await sleep(limits.idleTimeoutMs + 1000);
      assert.equal(h2.client.closed || h2.client.destroyed, false);
      assert.match(received, /^\.{6}/);
      h2.client.destroy();
    });

    it("closes a session whose open stream moves no byte for the idle timeout", async () => {
      const { url, ca } = target();
      const h2 = await session(url, ca);
      void h2.request({ ":path": "/hold" });
      assert.equal(await h2.closed, true);
    });

    it("closes the session of a client that opens more streams than maxConcurrentStreams", async () => {
      const socket = await target().dialRaw();
      const seen = watch(socket);
      socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(SETTINGS, 0, 0)]));
      // The cap binds once the server's SETTINGS are acknowledged (before, nghttp2 refuses the stream alone).
      while (!(seen.received().length >= 9 && seen.received().charCodeAt(3) === SETTINGS)) await sleep(5);
      // The acknowledgement, then END_STREAM | END_HEADERS on streams 1, 3, 5: one more than the cap of 2.
      socket.write(Buffer.concat([frame(SETTINGS, 1, 0), ...[1, 3, 5].map((streamId) => frame(HEADERS, 0x5, streamId, holdRequest))]));
      // Well inside the idle timeout: what closes it is the stream too many.
      assert.equal(await Promise.race([seen.closed(), sleep(limits.idleTimeoutMs / 2, false, { ref: false })]), true, "the session with one stream too many stays open");
    });

    it("lets a session have only maxConcurrentStreams streams open at once", async () => {
      const { url, ca, state } = target();
      const h2 = await session(url, ca);
      assert.equal(h2.client.remoteSettings.maxConcurrentStreams, limits.maxConcurrentStreams);
      const answers = await Promise.all(Array.from({ length: 5 }, () => h2.request({ ":path": "/slow" })));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
      assert.equal(state.mostInFlight, limits.maxConcurrentStreams);
      h2.client.destroy();
    });
  });
}

/** An HTTP/2 frame (RFC 9113, 4.1). */
function frame(type: number, flags: number, streamId: number, payload = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}
const [HEADERS, SETTINGS] = [1, 4];
// GET /hold, http, authority "x": HPACK static-table indexes and literals without indexing.
const holdRequest = Buffer.from([0x82, 0x86, 0x04, 5, ...Buffer.from("/hold"), 0x01, 1, ...Buffer.from("x")]);

/** Opens `count` connections and waits until the server has taken each of them. */
async function occupy(dial: Dial, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await dial());
  return sockets;
}

function capCase(title: string, dial: () => Dial, listener: () => Listener) {
  it(`${title}: closes the connection past MAX_CONNECTIONS at once and serves again when one leaves`, async () => {
    const held = await occupy(dial(), 2);
    // Refused before a TLS handshake or any byte is read.
    const refused = watch(await dialCleartext((listener().server.address() as AddressInfo).port)());
    assert.equal(await refused.closed(), true, "the connection past the cap is served");
    assert.equal(refused.received(), "");
    for (const socket of held) assert.equal(socket.destroyed, false, "a connection within the cap was closed");

    held[0]!.destroy();
    while ((await new Promise<number>((resolve, reject) => listener().server.getConnections((e, n) => (e ? reject(e) : resolve(n))))) > 1) await sleep(10);
    const next = await dial()();
    const seen = watch(next);
    next.write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await seen.closed();
    assert.match(seen.received(), /^HTTP\/1\.1 200 /);
    for (const socket of held) socket.destroy();
  });
}

const servers: Awaited<ReturnType<typeof start>>[] = [];
const startKept = async (options: Parameters<typeof start>[0]) => {
  const server = await start(options);
  servers.push(server);
  return server;
};
after(() => Promise.all(servers.map(({ listener }) => listener.close())));

describe("cleartext listener limits", { concurrency: true }, () => {
  let port = 0;
  let state = { mostInFlight: 0 };
  before(async () => ({ port, state } = await startKept({ limits })));

  it("closes a connection that sends nothing within the header timeout", async () => {
    assert.equal(await watch(await dialCleartext(port)()).closed(), true);
  });

  http1Cases("cleartext", () => dialCleartext(port));
  http2Cases("h2c", () => ({ url: `http://127.0.0.1:${port}`, dialRaw: dialCleartext(port), state }));
});

const noOpenssl = spawnSync("openssl", ["version"]).status !== 0 && "openssl is not installed: no test certificate";

describe("TLS listener limits", { skip: noOpenssl, concurrency: true }, () => {
  let dir = "";
  let keyPair: { cert: Buffer; key: Buffer };
  let port = 0;
  let state = { mostInFlight: 0 };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "idledger-limits-"));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
      .concat(["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]), { stdio: "ignore" });
    keyPair = { cert: await readFile(cert), key: await readFile(key) };
    ({ port, state } = await startKept({ tls: keyPair, limits }));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("closes a connection that does not finish its TLS handshake within the header timeout", async () => {
    assert.equal(await watch(await dialCleartext(port)()).closed(), true);
  });

  http1Cases("TLS", () => dialTls(port, keyPair.cert, "http/1.1"));
  http2Cases("TLS", () => ({ url: `https://127.0.0.1:${port}`, ca: keyPair.cert, dialRaw: dialTls(port, keyPair.cert, "h2"), state }));

  describe("connection cap", () => {
    let capped: Awaited<ReturnType<typeof start>>;
    before(async () => (capped = await startKept({ tls: keyPair, limits: { ...defaultConnectionLimits, maxConnections: 2 } })));
    capCase("TLS", () => dialTls(capped.port, keyPair.cert, "http/1.1"), () => capped.listener);
  });
});

describe("cleartext connection cap", () => {
  let capped: Awaited<ReturnType<typeof start>>;
  before(async () => (capped = await startKept({ limits: { ...defaultConnectionLimits, maxConnections: 2 } })));
  capCase("cleartext", () => dialCleartext(capped.port), () => capped.listener);
});

describe("the SSE stream under short header, request and keep-alive timeouts", () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ HTTP_HEADERS_TIMEOUT_MS: "500", HTTP_REQUEST_TIMEOUT_MS: "800", HTTP_KEEP_ALIVE_TIMEOUT_MS: "300" });
  });
  after(() => service.dispose());

  it("stays open past all of them over HTTP/1.1 and HTTP/2, and delivers what is appended then", async () => {
    const query = "/events/v1/stream?types=user.machine.added";
    const authorization = `Bearer ${service.adminToken}`;
    const overHttp1 = await fetch(service.url + query, { headers: { authorization } });
    assert.equal(overHttp1.status, 200);
    const http1Frames = overHttp1.body!.pipeThrough(new TextDecoderStream()).getReader();
    const h2 = await session(service.url);
    const stream = h2.client.request({ ":path": query, authorization });
    let http2Frames = "";
    stream.setEncoding("utf8").on("data", (chunk: string) => (http2Frames += chunk));

    await sleep(2000);
    const created = await fetch(`${service.url}/management/v1/users/machine`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ userName: "late-reader", name: "Late" }),
    });
    assert.equal(created.status, 200);
    let http1Text = "";
    while (!http1Text.includes("late-reader")) {
      const { value, done } = await http1Frames.read();
      assert.equal(done, false, "the HTTP/1.1 stream ended");
      http1Text += value;
    }
    for (let waited = 0; !http2Frames.includes("late-reader") && waited < GIVE_UP_MS; waited += 50) await sleep(50);
    assert.match(http2Frames, /late-reader/);
    await http1Frames.cancel();
    h2.client.destroy();
  });
});
