import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
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

/** What one client may hold of the listener, on HTTP/1.1 and HTTP/2, cleartext and TLS alike. */
export interface ConnectionLimits {
  /**
   * From accept until a request's headers are in: the first bytes on cleartext, the TLS handshake,
   * the HTTP/2 preface and SETTINGS; on HTTP/1.1 also from the start of each further request.
   */
  readonly headersTimeoutMs: number;
  /** From the start of a request until its body is in. Answers, however long (the SSE stream), are not bounded by it. */
  readonly requestTimeoutMs: number;
  /** How long a connection with no request in flight stays open (HTTP/2: a session with no open stream). */
  readonly keepAliveTimeoutMs: number;
  /** A connection that moves no byte either way for this long is closed, request in flight or not. */
  readonly idleTimeoutMs: number;
  /** Open connections, all protocols together; one more is closed as soon as it is accepted. */
  readonly maxConnections: number;
  /** Streams one HTTP/2 session may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
}

export const defaultConnectionLimits: ConnectionLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 1_000,
  maxConcurrentStreams: 100,
});

export interface ListenerOptions {
  readonly tls?: TlsKeyPair;
  readonly limits?: ConnectionLimits;
}

/** What every HTTP/2 connection opens with (RFC 9113, 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One port for REST, gRPC, gRPC-web and Connect. With TLS, ALPN picks HTTP/2 or HTTP/1.1. On
 * cleartext, Node's http2 server refuses HTTP/1.1 (`allowHTTP1` needs ALPN), so the first bytes
 * of each connection decide: the HTTP/2 preface goes to an http2 server (h2c, as gRPC clients
 * speak it), anything else to an HTTP/1.1 server. Both serve the same handler, within `limits`.
 */
export function createListener(handler: HttpHandler, { tls, limits = defaultConnectionLimits }: ListenerOptions = {}): Listener {
  const drain = draining(handler, limits);
  const http2Options = { settings: { maxConcurrentStreams: limits.maxConcurrentStreams } };
  if (tls) {
    const server = http2.createSecureServer(
      { ...http2Options, cert: tls.cert, key: tls.key, allowHTTP1: true, handshakeTimeout: limits.headersTimeoutMs },
      drain.handler,
    );
    // The HTTP/1.1 connections of an http2 secure server take these from it, as from an http.Server.
    Object.assign(server, http1Timeouts(limits));
    server.setTimeout(limits.idleTimeoutMs);
    server.maxConnections = limits.maxConnections;
    server.on("session", drain.session);
    server.on("secureConnection", (socket: TLSSocket) => {
      if (socket.alpnProtocol !== "h2") drain.connection(socket);
    });
    return { server, close: () => drain.close(server) };
  }

  const http1 = http.createServer(http1Timeouts(limits), drain.handler);
  http1.setTimeout(limits.idleTimeoutMs);
  // node:http starts checking header and request deadlines when its server starts listening; this
  // one never does (the sockets are handed to it), so it is told it does.
  http1.emit("listening");
  const h2c = http2.createServer(http2Options, drain.handler);
  h2c.setTimeout(limits.idleTimeoutMs);
  h2c.on("session", drain.session);
  const server = net.createServer((socket) => {
    // Not yet sorted: counts as an idle HTTP/1.1 connection, so that a stop closes it.
    drain.connection(socket);
    routeByPreface(socket, limits.headersTimeoutMs, (isHttp2) => {
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
  server.maxConnections = limits.maxConnections;
  // Stops node:http's deadline checks.
  server.once("close", () => http1.close());
  return { server, close: () => drain.close(server) };
}

const http1Timeouts = (limits: ConnectionLimits) => ({
  headersTimeout: limits.headersTimeoutMs,
  requestTimeout: limits.requestTimeoutMs,
  keepAliveTimeout: limits.keepAliveTimeoutMs,
  // How often node:http looks for requests past their deadline (its default is 30 s).
  connectionsCheckingInterval: Math.max(10, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10)),
});

/** Reads until the bytes so far differ from the HTTP/2 preface or match all of it, then hands the socket over, unread. */
function routeByPreface(socket: Socket, timeoutMs: number, handOver: (isHttp2: boolean) => void): void {
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
  socket.setTimeout(timeoutMs, () => socket.destroy());
}

/** What a session's requests tell its guard. */
interface SessionGuard {
  /** A request's body is in (or it had none). */
  requestIn(): void;
  /** A request's body was not in within the request timeout. */
  requestTimedOut(): void;
}

/**
 * node:http2 has no header or keep-alive deadlines (its server's `timeout` is the idle one): the
 * client's SETTINGS must arrive within the header timeout, and a session with no open stream is
 * closed (GOAWAY) after the keep-alive timeout. A request whose body is late only loses its stream,
 * but a client that keeps opening such streams would hold the session forever: once one times out
 * and no request's body came in for the request timeout, the session gets a GOAWAY and is
 * destroyed, with whatever it still holds, one request timeout later.
 */
function guardSession(session: Http2Session, limits: ConnectionLimits): SessionGuard {
  const settings = setTimeout(() => session.destroy(), limits.headersTimeoutMs);
  session.once("remoteSettings", () => clearTimeout(settings));
  let open = 0;
  let keepAlive: NodeJS.Timeout | undefined;
  const awaitNextStream = () => (keepAlive = setTimeout(() => session.close(), limits.keepAliveTimeoutMs));
  awaitNextStream();
  session.on("stream", (stream) => {
    open++;
    clearTimeout(keepAlive);
    stream.once("close", () => {
      if (--open === 0 && !session.closed && !session.destroyed) awaitNextStream();
    });
  });
  let lastRequestIn = Date.now();
  let hardStop: NodeJS.Timeout | undefined;
  session.once("close", () => {
    clearTimeout(settings);
    clearTimeout(keepAlive);
    clearTimeout(hardStop);
  });
  return {
    requestIn: () => (lastRequestIn = Date.now()),
    requestTimedOut() {
      if (hardStop || Date.now() - lastRequestIn < limits.requestTimeoutMs) return;
      session.close();
      hardStop = setTimeout(() => session.destroy(), limits.requestTimeoutMs);
    },
  };
}

/** An HTTP/2 request whose body is not in within the request timeout is answered 408 and its stream cancelled. */
function requestDeadline(req: Http2ServerRequest, res: Http2ServerResponse, timeoutMs: number, guard: SessionGuard | undefined): void {
  const { stream } = req;
  if (stream.endAfterHeaders) return guard?.requestIn();
  const deadline = setTimeout(() => {
    if (!res.headersSent) res.writeHead(408, { "content-type": "text/plain" }).end("request timeout");
    stream.close(http2.constants.NGHTTP2_CANCEL);
    guard?.requestTimedOut();
  }, timeoutMs);
  // The compatibility layer reads the stream as data arrives, so 'end' means the body is in.
  stream.once("end", () => {
    clearTimeout(deadline);
    guard?.requestIn();
  });
  stream.once("close", () => clearTimeout(deadline));
}

/**
 * Graceful stop for both protocols: in-flight requests finish; HTTP/1.1 connections close when
 * idle (responses say `Connection: close` from then on) and HTTP/2 sessions get a GOAWAY that lets
 * their open streams finish. node:http's own closeIdleConnections() only knows connections of a
 * server that listens itself, which ours on cleartext does not.
 */
function draining(handler: HttpHandler, limits: ConnectionLimits) {
  let closing = false;
  const sessions = new Map<Http2Session, SessionGuard>();
  /** Open HTTP/1.1 connections, and their requests in flight. */
  const connections = new Map<Socket, number>();
  const count = (socket: Socket, delta: number) => {
    const inFlight = connections.get(socket);
    if (inFlight !== undefined) connections.set(socket, inFlight + delta);
  };
  return {
    handler: ((req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      if (req instanceof http2.Http2ServerRequest) {
        requestDeadline(req, res as Http2ServerResponse, limits.requestTimeoutMs, sessions.get(req.stream.session!));
      } else {
        const socket = req.socket;
        count(socket, 1);
        res.once("close", () => count(socket, -1));
        if (closing) res.setHeader("connection", "close");
      }
      handler(req as IncomingMessage, res as ServerResponse);
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
      sessions.set(session, guardSession(session, limits));
      session.once("close", () => sessions.delete(session));
    },
    close(server: net.Server) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions.keys()) session.close();
      for (const [socket, inFlight] of connections) if (inFlight === 0) socket.destroy();
      return closed;
    },
  };
}
