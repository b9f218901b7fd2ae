import { Redis } from "ioredis";
import { DomainError } from "../../errors.js";

/**
 * A connection that fails fast while Redis is away (so a request answers 503 at once instead of
 * queueing) and reconnects by itself, forever, so the service recovers when Redis returns.
 * `subscriber` connections keep their SUBSCRIBE queued until connected and resubscribe after.
 */
export function connectRedis(url: string, { subscriber = false }: { subscriber?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: subscriber,
    maxRetriesPerRequest: subscriber ? null : 0,
    connectTimeout: 2000,
    commandTimeout: subscriber ? undefined : 5000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    connectionName: subscriber ? "idledger-subscriber" : "idledger",
  });
  // Failures reach the callers of each command; the connection's own events would only repeat them.
  redis.on("error", () => {});
  return redis;
}

/** Waits until the connection is ready, up to `timeoutMs`; false when Redis did not answer in time. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const ready = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off("ready", ready);
      resolve(false);
    }, timeoutMs);
    redis.once("ready", ready);
  });
}

// Replies that say the server cannot serve right now, not that the command was wrong.
const transientReply = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|READONLY|CLUSTERDOWN)/;

/**
 * Redis out of reach becomes the catalogue's `unavailable` (gRPC 14, HTTP 503), with the driver's
 * error kept as the cause for the log; a reply error (a bug of ours) stays as it is.
 */
export function toReadModelError(error: unknown): unknown {
  const isReply = error instanceof Error && error.name === "ReplyError";
  if (isReply && !transientReply.test(error.message)) return error;
  const unavailable = new DomainError("unavailable");
  unavailable.cause = error;
  return unavailable;
}

/** Runs a Redis call, translating its failure with `toReadModelError`. */
export async function translated<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toReadModelError(error);
  }
}
