import { AdminService } from "@zitadel/proto/zitadel/admin_pb.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { StatusError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ServedMethod } from "./pipeline.js";
import { restRouter, sendError } from "./rest.js";
import { requestLog } from "./requestLog.js";

export interface AppOptions {
  readonly served: ReadonlyMap<string, ServedMethod>;
  /** AdminService methods, under /admin/v1. */
  readonly admin?: ReadonlyMap<string, ServedMethod>;
  /** Routes of our own beside the ZITADEL API (the event stream, webhooks). */
  readonly routers?: readonly express.Router[];
  readonly logger: Logger;
  /**
   * Readiness: the event store answers and the read model has caught up; and how many events the
   * projection parked (reported, but no reason to be unready: see `/debug/ready` below).
   */
  readonly ready: () => Promise<{ readonly caughtUp: boolean; readonly parkedEvents: number }>;
  /** Served at /debug/metrics and fed by every request; without them there is no such route. */
  readonly metrics?: Metrics;
}

/** The HTTP/1.1 application: health probes, the REST gateway, and ZITADEL-shaped errors for the rest. */
export function createApp({ served, admin = new Map(), routers = [], logger, ready, metrics }: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const log = requestLog(logger, metrics);
  app.use((req, res, next) => {
    log(req, res, res.locals);
    next();
  });

  app.get("/debug/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  // Parked events leave an instance ready: they are missing from the data every instance reads, so
  // taking instances out of the load balancer would turn one bad event into an outage, which is
  // what parking them avoids. The count is on the second line, for operators and alerts.
  app.get("/debug/ready", async (_req, res) => {
    const { caughtUp, parkedEvents } = await ready().catch(() => ({ caughtUp: false, parkedEvents: 0 }));
    const parked = parkedEvents === 0 ? "" : `\nparked events: ${parkedEvents} (the projection could not apply them; idledger failed-events lists them)`;
    res.status(caughtUp ? 200 : 503).type("text/plain").send((caughtUp ? "ok" : "not ready") + parked);
  });

  // Unauthenticated, as ZITADEL serves it and as Prometheus scrapes: the figures name no user,
  // token or org (labels are method names, route templates and codes). METRICS=off removes it.
  if (metrics) {
    app.get("/debug/metrics", async (_req, res) => {
      res.locals.route = "/debug/metrics";
      const text = await metrics.registry.metrics().catch(() => undefined);
      if (text === undefined) res.status(503).type("text/plain").send("metrics unavailable");
      else res.type(metrics.registry.contentType).send(text);
    });
  }

  app.use(restRouter(served));
  app.use(restRouter(admin, { service: AdminService, prefix: "/admin/v1" }));
  for (const router of routers) app.use(router);

  app.use((_req, res) => sendError(res, new StatusError("NotFound", "Not Found")));
  // Body-parser failures and anything else that escaped a handler.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => sendError(res, unhandledFailure(error)));
  return app;
}

/**
 * What express's final handler makes of a failure that reached it: a body-parser refusal or another
 * client mistake (a broken %-escape, a corrupt compressed body) is InvalidArgument, the rest as it is.
 */
export function unhandledFailure(error: unknown): unknown {
  const { type } = error as { type?: unknown };
  if (type === "entity.parse.failed") return new StatusError("InvalidArgument", "The request body is not valid JSON");
  if (type === "entity.too.large") return new StatusError("InvalidArgument", "The request body is too large");
  if (type === "encoding.unsupported" || type === "charset.unsupported") return new StatusError("InvalidArgument", "Unsupported request encoding");
  // Anything else a client caused carries a 4xx status from express or body-parser.
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return new StatusError("InvalidArgument", "The request could not be read");
  return error;
}
