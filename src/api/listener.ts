import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2Session } from "node:http2";
import net, { type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
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
    server.on("session", drain.session);
    server.on("secureConnection", (socket: TLSSocket) => {
      if (socket.alpnProtocol !== "h2") drain.connection(socket);
    });
    return { server, close: () => drain.close(server) };
  }

  const http1 = http.createServer(drain.handler);
  const h2c = http2.createServer(drain.handler);
  h2c.on("session", drain.session);
  const server = net.createServer((socket) => {
    // Not yet sorted: counts as an idle HTTP/1.1 connection, so that a stop closes it.
    drain.connection(socket);
    routeByPreface(socket, (isHttp2) => {
      if (isHttp2) {
        drain.forget(socket);
        h2c.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        // node:http parses straight from the handle; the bytes read so far reach it as 'data'.
        socket.resume();
      }
    });
  });
  return { server, close: () => drain.close(server) };
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
 * Graceful stop for both protocols: in-flight requests finish; HTTP/1.1 connections close when
 * idle (responses say `Connection: close` from then on) and HTTP/2 sessions get a GOAWAY that lets
 * their open streams finish. node:http's own closeIdleConnections() only knows connections of a
 * server that listens itself, which ours on cleartext does not.
 */
function draining(handler: HttpHandler) {
  let closing = false;
  const sessions = new Set<Http2Session>();
  /** Open HTTP/1.1 connections, and their requests in flight. */
  const connections = new Map<Socket, number>();
  const count = (socket: Socket, delta: number) => {
    const inFlight = connections.get(socket);
    if (inFlight !== undefined) connections.set(socket, inFlight + delta);
  };
  return {
    handler: ((req: IncomingMessage, res: ServerResponse) => {
      if (req.httpVersionMajor === 1) {
        const socket = req.socket;
        count(socket, 1);
        res.once("close", () => count(socket, -1));
        if (closing) res.setHeader("connection", "close");
      }
      handler(req, res);
    }) as HttpHandler,
    connection(socket: Socket) {
      connections.set(socket, 0);
      socket.once("close", () => connections.delete(socket));
    },
    /** An HTTP/2 connection: its session closes it. */
    forget(socket: Socket) {
      connections.delete(socket);
    },
    session(session: Http2Session) {
      if (closing) return session.close();
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    },
    close(server: net.Server) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      for (const [socket, inFlight] of connections) if (inFlight === 0) socket.destroy();
      return closed;
    },
  };
}
