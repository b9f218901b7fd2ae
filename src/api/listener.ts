import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2Session } from "node:http2";
import net, { type Socket } from "node:net";
import type { HttpHandler } from "./connect/service.js";

export interface Listener {
  /** The server to `listen()` on; it owns every connection. */
  readonly server: net.Server;
  /** Stops accepting, lets in-flight requests finish, then closes every connection. */
  close(): Promise<void>;
}

export interface TlsKeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** What every HTTP/2 connection opens with (RFC 9113, 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that sends nothing for this long is dropped before any server sees it. */
const FIRST_BYTES_TIMEOUT_MS = 30_000;

/**
 * One port for REST, gRPC, gRPC-web and Connect. With TLS, ALPN picks HTTP/2 or HTTP/1.1. On
 * cleartext, Node's http2 server refuses HTTP/1.1 (`allowHTTP1` needs ALPN), so the first bytes
 * of each connection decide: the HTTP/2 preface goes to an http2 server (h2c, as gRPC clients
 * speak it), anything else to an HTTP/1.1 server. Both serve the same handler.
 */
export function createListener(handler: HttpHandler, tls?: TlsKeyPair): Listener {
  const drain = draining(handler);
  if (tls) {
    const server = http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, drain.handler);
    server.on("session", drain.track);
    return { server, close: () => drain.close(server) };
  }

  const http1 = http.createServer(drain.handler);
  const h2c = http2.createServer(drain.handler);
  h2c.on("session", drain.track);
  const sniffing = new Set<Socket>();
  const server = net.createServer((socket) => {
    sniffing.add(socket);
    routeByPreface(socket, (isHttp2) => {
      sniffing.delete(socket);
      if (isHttp2) h2c.emit("connection", socket);
      else {
        http1.emit("connection", socket);
        // node:http parses straight from the handle; the bytes read so far reach it as 'data'.
        socket.resume();
      }
    });
  });
  return {
    server,
    async close() {
      for (const socket of sniffing) socket.destroy();
      http1.closeIdleConnections();
      await drain.close(server);
    },
  };
}

/** Reads until the bytes so far differ from the HTTP/2 preface or match all of it, then hands the socket over, unread. */
function routeByPreface(socket: Socket, handOver: (isHttp2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const length = Math.min(seen.length, HTTP2_PREFACE.length);
    const isHttp2 = seen.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
    if (isHttp2 && length < HTTP2_PREFACE.length) return;
    socket.off("data", onData);
    socket.off("error", onError);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    handOver(isHttp2);
  };
  const onError = () => socket.destroy();
  socket.on("data", onData);
  socket.on("error", onError);
  socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
}

/**
 * Graceful stop for both protocols: once closing, HTTP/1.1 responses say `Connection: close` and
 * HTTP/2 sessions get a GOAWAY that lets their open streams finish.
 */
function draining(handler: HttpHandler) {
  let closing = false;
  const sessions = new Set<Http2Session>();
  return {
    handler: ((req: IncomingMessage, res: ServerResponse) => {
      if (closing && req.httpVersionMajor === 1) res.setHeader("connection", "close");
      handler(req, res);
    }) as HttpHandler,
    track(session: Http2Session) {
      if (closing) return session.close();
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    },
    close(server: net.Server) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      return closed;
    },
  };
}
