import type { IncomingMessage, ServerResponse } from "node:http";
import { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type express from "express";
import type { RequestClaim } from "../../oauth/leanPath.js";
import { encodeGrpcMessage } from "./grpcMessage.js";
import type { HttpHandler } from "./service.js";

/**
 * Whatever is not a ManagementService RPC: a gRPC call to another service answers UNIMPLEMENTED as
 * gRPC servers do (so `grpcurl` says "server does not support the reflection API"); everything
 * else is express, over HTTP/1.1 or HTTP/2; `claim` may take an HTTP/1.1 request first (the lean
 * OAuth path, src/oauth/leanPath.ts).
 */
export function nonRpcHandler(app: express.Express, claim?: RequestClaim): HttpHandler {
  const appOverHttp2 = expressOverHttp2(app);
  return (req, res) => {
    const contentType = req.headers["content-type"] ?? "";
    if (contentType.startsWith("application/grpc")) {
      const [, service = "", method = ""] = req.url?.split("?")[0]?.split("/") ?? [];
      const message = service === ManagementService.typeName ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
      res.writeHead(200, { "content-type": contentType, "grpc-status": "12", "grpc-message": encodeGrpcMessage(message) });
      res.end();
    } else if (req instanceof Http2ServerRequest) appOverHttp2(req, res as Http2ServerResponse);
    else if (!claim?.(req as IncomingMessage, res as ServerResponse)) app(req as IncomingMessage, res as ServerResponse);
  };
}

/**
 * Express only knows node:http's request and response prototypes, and breaks on http2's
 * compatibility objects (TLS clients pick HTTP/2 through ALPN, `curl --http2-prior-knowledge`
 * does on cleartext). This gives express's methods an http2 prototype chain below them.
 */
function expressOverHttp2(app: express.Express): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const rebase = (expressPrototype: object, http2Prototype: object) => {
    const methods = Object.getPrototypeOf(expressPrototype) as object;
    return Object.create(Object.create(http2Prototype, Object.getOwnPropertyDescriptors(methods)), Object.getOwnPropertyDescriptors(expressPrototype)) as object;
  };
  const http2App = Object.create(app, {
    request: { value: rebase(app.request, Http2ServerRequest.prototype) },
    response: { value: rebase(app.response, Http2ServerResponse.prototype) },
  }) as { handle(req: Http2ServerRequest, res: Http2ServerResponse): void };
  return (req, res) => {
    // HTTP/2 announces a body by a HEADERS frame without END_STREAM, often with no length, but
    // body-parser reads a body only when Content-Length or Transfer-Encoding says there is one.
    if (req.headers["content-length"] === undefined && !req.stream.endAfterHeaders) req.headers["transfer-encoding"] = "chunked";
    http2App.handle(req, res);
  };
}
