import express, { type Request, type Response } from "express";
import { eventScope, inScope } from "../audit/scope.js";
import { authorize } from "../auth/authorize.js";
import { StatusError } from "../errors.js";
import type { EventStore, Subscription } from "../events/eventStore.js";
import type { Queries } from "../queries/queries.js";
import { sendError } from "../api/rest.js";
import { pipeEvents } from "./sse.js";
import { typeMatcher } from "./wireEvent.js";

export const STREAM_PATH = "/events/v1/stream";

export interface EventStreamOptions {
  readonly store: EventStore;
  readonly queries: Queries;
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly keepAliveMs?: number;
}

/**
 * Server-Sent Events: `GET /events/v1/stream?from=<position>&types=user.*`. Each event is one
 * frame whose `id` is its position, so a client that reconnects with `Last-Event-ID` resumes
 * right after the last event it received. Catch-up and live are one subscription of the log,
 * so nothing falls between them; writes wait for 'drain', so a slow client holds back its own
 * reading of the log and nothing else.
 */
export function createEventStream({ store, queries, keepAliveMs = 15_000 }: EventStreamOptions) {
  const open = new Set<{ subscription: Subscription; response: Response }>();

  async function serve(req: Request, res: Response) {
    res.locals.route = STREAM_PATH;
    let stream;
    try {
      await queries.catchUp();
      const caller = await authorize(queries, { authorization: req.get("authorization"), orgId: req.get("x-zitadel-orgid"), requestId: res.locals.requestId as string }, "");
      stream = {
        scope: await eventScope(queries, caller),
        from: position(req.get("last-event-id") ?? req.query.from),
        wanted: typeMatcher(String(req.query.types ?? "").split(",")),
      };
    } catch (error) {
      sendError(res, error);
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    res.flushHeaders();
    const subscription = store.subscribe({ from: stream.from });
    const entry = { subscription, response: res };
    open.add(entry);
    const keepAlive = setInterval(() => res.writableNeedDrain || res.write(": keep-alive\n\n"), keepAliveMs);
    res.on("close", () => void subscription.close());
    try {
      await pipeEvents(subscription, res, (event) => inScope(stream.scope, event) && stream.wanted(event.type));
    } catch (error) {
      res.locals.error = error;
    } finally {
      clearInterval(keepAlive);
      open.delete(entry);
      await subscription.close();
      res.end();
    }
  }

  return {
    router: express.Router().get(STREAM_PATH, serve),
    /** Ends every open stream, so that a graceful stop need not wait for clients to leave. */
    async close(): Promise<void> {
      await Promise.all([...open].map(({ subscription }) => subscription.close()));
    },
  };
}

export type EventStream = ReturnType<typeof createEventStream>;

function position(raw: unknown): bigint {
  if (raw === undefined || raw === "") return 0n;
  // Positions are int64 in every store.
  if (typeof raw !== "string" || !/^\d{1,19}$/.test(raw) || BigInt(raw) > 2n ** 63n - 1n) {
    throw new StatusError("InvalidArgument", "from and Last-Event-ID must be an event position (a decimal number below 2^63)");
  }
  return BigInt(raw);
}
