import { Redis } from "ioredis";
import * as standalone from "ioredis/built/connectors/StandaloneConnector.js";
import { DomainError } from "../../errors.js";

// CommonJS with `exports.default`: seen from ESM, the class is one level further down.
const StandaloneConnector = standalone.default.default;

/**
 * ioredis listens for one error per socket, but a TLS socket whose handshake is cut short (a
 * certificate refused, a disconnect mid-handshake) can emit a second one, the server's alert, and
 * an error without a listener ends the process. The connection's own failure still reaches
 * ioredis; the sockets just never throw.
 */
class GuardedConnector extends StandaloneConnector {
  // ioredis hands a connector its options untyped.
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof StandaloneConnector>[0]);
  }

  override async connect(...args: Parameters<InstanceType<typeof StandaloneConnector>["connect"]>) {
    const stream = await super.connect(...args);
    stream.on("error", () => {});
    return stream;
  }
}

/**
 * A connection that fails fast while Redis is away (so a request answers 503 at once instead of
 * queueing) and reconnects by itself, forever, so the service recovers when Redis returns.
 * `subscriber` connections keep their SUBSCRIBE queued until connected and resubscribe after.
 */
export function connectRedis(url: string, { subscriber = false }: { subscriber?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    Connector: GuardedConnector,
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
