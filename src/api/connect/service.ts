import { randomUUID } from "node:crypto";
import type { DescService, Message, MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createContextKey, type HandlerContext, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "@zitadel/proto/zitadel/admin_pb.js";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { StatusError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Metrics } from "../../metrics/metrics.js";
import type { ServedMethod } from "../pipeline.js";
import { toConnectError } from "./errors.js";
import { useSpecGrpcMessage } from "./grpcMessage.js";

/** A request listener for node:http and node:http2 alike. */
export type HttpHandler = ReturnType<typeof connectNodeAdapter>;

const requestIdKey = createContextKey<string>("");

/** gRPC's default limit for a received message. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface RpcHandlerOptions {
  readonly served: ReadonlyMap<string, ServedMethod>;
  /** AdminService methods (the audit's event search); the rest of AdminService answers UNIMPLEMENTED. */
  readonly admin?: ReadonlyMap<string, ServedMethod>;
  readonly logger: Logger;
  /** Every request that is not a ManagementService RPC (REST, health probes, unknown services). */
  readonly fallback: HttpHandler;
  readonly metrics?: Metrics;
}

/**
 * `zitadel.management.v1.ManagementService` (and `zitadel.admin.v1.AdminService`) over gRPC,
 * gRPC-web and Connect, from the same ServedMethods as REST; a method REST does not serve answers
 * UNIMPLEMENTED here as it does there.
 */
export function rpcHandler({ served, admin = new Map(), logger, fallback, metrics }: RpcHandlerOptions): HttpHandler {
  const services = [
    { service: ManagementService, served },
    { service: AdminService, served: admin },
  ] as const;
  const handler = connectNodeAdapter({
    routes: (router) => {
      for (const { service, served } of services) router.service(service, implementationOf(service, served) as Partial<ServiceImpl<typeof service>>);
    },
    fallback,
    interceptors: [requestLog(logger, metrics)],
    readMaxBytes: MAX_MESSAGE_BYTES,
  });
  const rpcPrefixes = services.map(({ service }) => `/${service.typeName}/`);
  return (req, res) => {
    // RPC paths are `/<service>/<method>`; everything else (REST, probes) skips the RPC router.
    if (!rpcPrefixes.some((prefix) => req.url?.startsWith(prefix))) return fallback(req, res);
    if (req.headers["content-type"]?.startsWith("application/grpc")) useSpecGrpcMessage(res);
    handler(req, res);
  };
}

function implementationOf(service: DescService, served: ReadonlyMap<string, ServedMethod>) {
  const implementation: Record<string, (request: Message, context: HandlerContext) => Promise<MessageInitShape<any>>> = {};
  for (const method of service.methods) {
    const serve = served.get(method.name);
    implementation[method.localName] = async (request, context) => {
      try {
        if (!serve) throw new StatusError("Unimplemented", `method ${method.name} not implemented`);
        return await serve(request, {
          authorization: context.requestHeader.get("authorization") ?? undefined,
          orgId: context.requestHeader.get("x-zitadel-orgid") ?? undefined,
          requestId: context.values.get(requestIdKey),
        });
      } catch (error) {
        throw toConnectError(error);
      }
    };
  }
  return implementation;
}

/** One line per call, as REST writes it: method, protocol, gRPC code, duration, request id. */
function requestLog(logger: Logger, metrics: Metrics | undefined): Interceptor {
  return (next) => async (request) => {
    const started = process.hrtime.bigint();
    const requestId = request.header.get("x-request-id")?.slice(0, 64) || randomUUID();
    request.contextValues.set(requestIdKey, requestId);
    const protocol = protocolOf(request.header.get("content-type"));
    const line = (grpcCode: number) => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // The method name is the descriptor's, from connect's router: never a path the client made up.
      metrics?.request(request.method.name, protocol, grpcCode, durationMs / 1000);
      return { requestId, method: request.method.name, protocol, durationMs, grpcCode };
    };
    try {
      const response = await next(request);
      response.header.set("x-request-id", requestId);
      logger.info("rpc", line(0));
      return response;
    } catch (thrown) {
      const error = ConnectError.from(thrown);
      error.metadata.set("x-request-id", requestId);
      // The code, never the message: a client error's message may quote the value it sent.
      const entry = line(error.code);
      if (error.code === 13 || error.code === 14) logger.error("rpc", { ...entry, cause: describeCause(error.cause) });
      else logger.info("rpc", entry);
      throw error;
    }
  };
}

const protocolOf = (contentType: string | null) =>
  contentType?.startsWith("application/grpc-web") ? "grpc-web" : contentType?.startsWith("application/grpc") ? "grpc" : "connect";

const describeCause = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
