import express, { type Request, type Response } from "express";
import { eventScope, inScope, type EventScope } from "../audit/scope.js";
import { authorizeSession, type Credentials } from "../auth/authorize.js";
import { touchesAccess, watchSession } from "../auth/sessionWatch.js";
import { fail, StatusError } from "../errors.js";
import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore, Subscription } from "../events/eventStore.js";
import { resubscribing } from "../events/resubscribing.js";
import type { Queries } from "../queries/queries.js";
import { sendError } from "../api/rest.js";
import { pipeEvents } from "./sse.js";
import { typeMatcher } from "./wireEvent.js";

export const STREAM_PATH = "/events/v1/stream";

export interface StreamLimits {
  /** Open streams in all, per credential, and per scope (an org's, or the instance's): one more answers 429. */
  readonly maxStreams: number;
  readonly maxStreamsPerToken: number;
  /** So that one org (any number of its users' tokens) cannot take every stream of the instance. */
  readonly maxStreamsPerScope: number;
  /** How often an open stream re-authorizes its caller even when nothing touched its access. */
  readonly recheckMs: number;
}

export interface EventStreamOptions {
  readonly store: EventStore;
  readonly queries: Queries;
  readonly limits: StreamLimits;
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly keepAliveMs?: number;
}

/**
 * Server-Sent Events: `GET /events/v1/stream?from=<position>&types=user.*`. Each event is one
 * frame whose `id` is its position, so a client that reconnects with `Last-Event-ID` resumes
 * right after the last event it received. Catch-up and live are one subscription of the log,
 * so nothing falls between them; writes wait for 'drain', so a slow client holds back its own
 * reading of the log and nothing else. The caller stays authorized for as long as the stream
 * lasts (src/auth/sessionWatch.ts): an expired, removed or locked credential ends it.
 */
export function createEventStream({ store, queries, limits, keepAliveMs = 15_000 }: EventStreamOptions) {
  const open = new Set<{ subscription: Subscription; response: Response }>();
  const perToken = createCounter();
  const perScope = createCounter();

  function admit(tokenHash: string, scope: EventScope): () => void {
    const scopeKey = scope.kind === "org" ? `org:${scope.orgId}` : "instance";
    if (open.size >= limits.maxStreams || perToken.count(tokenHash) >= limits.maxStreamsPerToken || perScope.count(scopeKey) >= limits.maxStreamsPerScope) fail("tooManyStreams");
    const releaseToken = perToken.add(tokenHash);
    const releaseScope = perScope.add(scopeKey);
    return () => {
      releaseToken();
      releaseScope();
    };
  }

  async function serve(req: Request, res: Response) {
    res.locals.route = STREAM_PATH;
    const credentials: Credentials = { authorization: req.get("authorization"), orgId: req.get("x-zitadel-orgid"), requestId: res.locals.requestId as string };
    let stream;
    try {
      const head = await store.headPosition();
      await queries.catchUp(head);
      const session = await authorizeSession(queries, credentials, "");
      const scope = await eventScope(queries, session.caller);
      stream = {
        session,
        scope,
        from: position(req.get("last-event-id") ?? req.query.from),
        wanted: typeMatcher(String(req.query.types ?? "").split(",")),
        watch: watchSession(queries, credentials, session, {
          openedAt: head,
          recheckMs: limits.recheckMs,
          sameGrant: async (fresh) => sameScope(scope, await eventScope(queries, fresh.caller)),
        }),
        release: admit(session.tokenHash, scope),
      };
    } catch (error) {
      sendError(res, error);
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    res.flushHeaders();
    // An EventStoreDB restart mid-stream resubscribes where the stream was; the client sees nothing of it.
    // The log hands over only what the stream may deliver or must check: an idle stream is never woken.
    const wanted = (event: RecordedEvent) => inScope(stream.scope, event) && stream.wanted(event.type);
    const subscription = resubscribing(store, stream.from, { filter: (event) => wanted(event) || touchesAccess(event, stream.session) });
    const entry = { subscription, response: res };
    open.add(entry);
    const keepAlive = setInterval(() => res.writableNeedDrain || res.write(": keep-alive\n\n"), keepAliveMs);
    // With no event to read, a revoked or expired credential is still noticed within `recheckMs`.
    const recheck = setInterval(async () => {
      if (await stream.watch.stillAuthorized()) return;
      await subscription.close();
      // Also when the client stopped reading and a frame waits for 'drain': nothing more goes out.
      res.destroy();
    }, limits.recheckMs);
    res.on("close", () => void subscription.close());
    try {
      await pipeEvents(subscription, res, {
        wanted,
        admitted: (event) => stream.watch.stillAuthorized(event),
      });
    } catch (error) {
      res.locals.error = error;
    } finally {
      clearInterval(keepAlive);
      clearInterval(recheck);
      open.delete(entry);
      stream.release();
      await subscription.close();
      res.end();
    }
  }

  return {
    router: express.Router().get(STREAM_PATH, serve),
    openStreams: () => open.size,
    /** Ends every open stream, so that a graceful stop need not wait for clients to leave. */
    async close(): Promise<void> {
      await Promise.all([...open].map(({ subscription }) => subscription.close()));
    },
  };
}

export type EventStream = ReturnType<typeof createEventStream>;

const sameScope = (a: EventScope, b: EventScope) => a.kind === b.kind && (a.kind === "instance" || (b.kind === "org" && a.orgId === b.orgId));

function position(raw: unknown): bigint {
  if (raw === undefined || raw === "") return 0n;
  // Positions are int64 in every store.
  if (typeof raw !== "string" || !/^\d{1,19}$/.test(raw) || BigInt(raw) > 2n ** 63n - 1n) {
    throw new StatusError("InvalidArgument", "from and Last-Event-ID must be an event position (a decimal number below 2^63)");
  }
  return BigInt(raw);
}

/** Counts held per key; nothing is kept for a key that holds none. */
function createCounter() {
  const counts = new Map<string, number>();
  return {
    count: (key: string) => counts.get(key) ?? 0,
    /** Holds one for `key`; the function given back lets it go (once). */
    add(key: string): () => void {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      };
    },
  };
}
