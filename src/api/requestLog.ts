import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { toWireError } from "./errorBody.js";

/** What a handler tells the log line of its request (express keeps them in `res.locals`). */
export interface RequestNotes {
  requestId?: string;
  /** The route template, never the path the client sent. */
  route?: string;
  /** The API method's name, for the metrics. */
  method?: string;
  /** What a 5xx (or a mapped client error) came from. */
  error?: unknown;
}

/** Starts a request's log line and metrics, written when the answer is finished; returns its request id. */
export type RequestLog = (req: IncomingMessage, res: ServerResponse, notes: RequestNotes) => string;

/** One line per request: method, route, status, duration, request id. Never headers or bodies. */
export function requestLog(logger: Logger, metrics: Metrics | undefined): RequestLog {
  return (req, res, notes) => {
    const started = process.hrtime.bigint();
    const header = req.headers["x-request-id"];
    const requestId = (typeof header === "string" ? header.slice(0, 64) : "") || randomUUID();
    notes.requestId = requestId;
    res.setHeader("x-request-id", requestId);
    res.on("finish", () => {
      const { error } = notes;
      const wire = error === undefined ? undefined : toWireError(error);
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const route = notes.route ?? "unmatched";
      // Beside the API (no gRPC code of its own): 0 for a success, 2 UNKNOWN for anything else.
      metrics?.request(notes.method ?? route, "rest", wire?.code ?? (res.statusCode < 400 ? 0 : 2), durationMs / 1000);
      const line = {
        requestId,
        method: req.method,
        route,
        status: res.statusCode,
        durationMs,
        // The id, never the message: a decode error quotes the client's value, which may be a password.
        ...(wire ? { grpcCode: wire.code, ...(wire.detail ? { errorId: wire.detail.id } : {}) } : {}),
      };
      if (wire?.category === "Internal" || wire?.category === "Unavailable") logger.error("request", { ...line, cause: describeCause(error) });
      else logger.info("request", line);
    });
    return requestId;
  };
}

const describeCause = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
