import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { defaultConnectionLimits as limits, type ConnectionLimits } from "./api/listener.js";
import { DEFAULT_MAX_SCANNED_EVENTS } from "./audit/auditLog.js";
import { KEY_FILES } from "./crypto/keyFile.js";
import type { AllowedNetwork } from "./subscribers/webhooks/egress.js";

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** esdb://... selects EventStoreDB; unset: the embedded SQLite log in dataDir. */
  readonly eventStoreUrl: string | undefined;
  /** redis://... selects the Redis read model; unset: in-process memory. */
  readonly redisUrl: string | undefined;
  /** The instance's domain: org domains are `<org>.<externalDomain>`. */
  readonly externalDomain: string;
  readonly logLevel: string;
  /** scrypt cost for passwords (log2 N). */
  readonly passwordScryptLogN: number;
  /** How long a query waits for the projection to reach the log's head. */
  readonly consistencyTimeoutMs: number;
  /** Webhook delivery: attempts per event before it becomes a dead letter, and the first retry's delay. */
  readonly webhookMaxAttempts: number;
  readonly webhookBackoffMs: number;
  /** Non-public networks webhook targets may point at; by default only public addresses. */
  readonly webhookAllowedNetworks: readonly AllowedNetwork[];
  /** Webhook targets the instance may have at once. */
  readonly webhookMaxTargets: number;
  /** With Redis: how long an instance's lease on delivering to one target lasts unrenewed. */
  readonly webhookLeaseMs: number;
  /** With Redis: whether this instance competes to run the projector (false: `npm run projector` does). */
  readonly runProjector: boolean;
  /** Whether `GET /debug/metrics` serves Prometheus metrics (and they are collected at all). */
  readonly metrics: boolean;
  /** With Redis: how long the projector's lease lasts unrenewed; a dead holder is replaced after about this long. */
  readonly projectorLeaseMs: number;
  /** With Redis and the shared SQLite log: the projector's fallback poll of the log between announced appends. */
  readonly sharedLogPollMs: number;
  /** The embedded log's commits on a writer thread: `auto` when the machine has a second core. */
  readonly sqliteWriterThread: "auto" | "on" | "off";
  /** The event stream: open streams in all, per credential and per org (scope) read, and how often an open one re-authorizes its caller. */
  readonly sse: { readonly maxStreams: number; readonly maxStreamsPerToken: number; readonly maxStreamsPerScope: number; readonly recheckMs: number };
  /** The OIDC issuer (`https://id.example.com`); unset: the origin each request came to. */
  readonly externalUrl: string | undefined;
  /** Lifetime of access and ID tokens issued at /oauth/v2/token (ZITADEL's default: 12 h). */
  readonly accessTokenLifetimeSeconds: number;
  /** The most access tokens one machine user may hold live at once: at the limit, a grant is refused (429) until one expires or is revoked. */
  readonly maxLiveTokensPerUser: number;
  /** Encrypts one-time codes (initialization...) in the log; every instance of a deployment needs the same file. */
  readonly codesKeyFile: string;
  /** Encrypts webhook signing keys in the log; likewise shared by every instance. */
  readonly webhooksKeyFile: string;
  /** Encrypts the OIDC signing keys' private halves in the log; likewise shared by every instance. */
  readonly oidcKeyFile: string;
  /** The master key: wraps every user's personal-data key in the key store (docs/privacy.md); likewise shared by every instance. */
  readonly personalDataKeyFile: string;
  /** PEM files; both set: TLS with HTTP/2 and HTTP/1.1 by ALPN; neither: cleartext (h2c and HTTP/1.1). */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** The most events one ListEvents page reads, matching or not. */
  readonly listEventsMaxScan: number;
  /** Timeouts and caps of every connection, on every protocol. */
  readonly connections: ConnectionLimits;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and checks the environment once; only the composition root calls this. */
export function loadConfig(env: Env): Readonly<Config> {
  const dataDir = resolve(env.DATA_DIR || ".data");
  const config: Config = {
    port: integer(env, "PORT", 8080, 0, 65535),
    host: env.HOST || "0.0.0.0",
    dataDir,
    eventStoreUrl: env.EVENTSTORE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    externalDomain: env.EXTERNAL_DOMAIN || "localhost",
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["error", "warn", "info", "debug"]),
    passwordScryptLogN: integer(env, "PASSWORD_SCRYPT_LOGN", 15, 10, 20),
    consistencyTimeoutMs: integer(env, "CONSISTENCY_TIMEOUT_MS", 2000, 0, 60000),
    webhookMaxAttempts: integer(env, "WEBHOOK_MAX_ATTEMPTS", 10, 1, 100),
    webhookBackoffMs: integer(env, "WEBHOOK_BACKOFF_MS", 500, 1, 60000),
    webhookAllowedNetworks: networks(env, "WEBHOOK_ALLOWED_NETWORKS"),
    webhookMaxTargets: integer(env, "WEBHOOK_MAX_TARGETS", 100, 1, 10_000),
    webhookLeaseMs: integer(env, "WEBHOOK_LEASE_MS", 5000, 100, 60000),
    runProjector: oneOf(env, "PROJECTOR", "in-process", ["in-process", "off"]) === "in-process",
    metrics: oneOf(env, "METRICS", "on", ["on", "off"]) === "on",
    projectorLeaseMs: integer(env, "PROJECTOR_LEASE_MS", 5000, 100, 60000),
    sharedLogPollMs: integer(env, "SHARED_LOG_POLL_MS", 1000, 10, 600000),
    sqliteWriterThread: oneOf(env, "SQLITE_WRITER_THREAD", "auto", ["auto", "on", "off"]),
    sse: Object.freeze({
      maxStreams: integer(env, "SSE_MAX_STREAMS", 1000, 1, 100_000),
      maxStreamsPerToken: integer(env, "SSE_MAX_STREAMS_PER_TOKEN", 5, 1, 1000),
      maxStreamsPerScope: integer(env, "SSE_MAX_STREAMS_PER_ORG", 100, 1, 100_000),
      recheckMs: integer(env, "SSE_RECHECK_MS", 5000, 10, 600_000),
    }),
    externalUrl: externalUrl(env),
    accessTokenLifetimeSeconds: integer(env, "ACCESS_TOKEN_LIFETIME_SECONDS", 43200, 60, 604800),
    maxLiveTokensPerUser: integer(env, "OAUTH_MAX_LIVE_TOKENS_PER_USER", 100_000, 1, 1_000_000_000),
    codesKeyFile: resolve(env.CODES_KEY_FILE || join(dataDir, KEY_FILES.codes)),
    webhooksKeyFile: resolve(env.WEBHOOKS_KEY_FILE || join(dataDir, KEY_FILES.webhooks)),
    oidcKeyFile: resolve(env.OIDC_KEY_FILE || join(dataDir, KEY_FILES.oidc)),
    personalDataKeyFile: resolve(env.PERSONAL_DATA_KEY_FILE || join(dataDir, KEY_FILES.personalData)),
    tls: tlsFiles(env),
    listEventsMaxScan: integer(env, "LIST_EVENTS_MAX_SCAN", DEFAULT_MAX_SCANNED_EVENTS, 1, 10_000_000),
    connections: connectionLimits(env),
  };
  return Object.freeze(config);
}

/** An http(s) origin, optionally with a path, without a trailing slash, query or fragment. */
function externalUrl(env: Env): string | undefined {
  const raw = env.EXTERNAL_URL;
  if (!raw) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new Error(`EXTERNAL_URL must be an http(s) URL without query, fragment or credentials, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, "");
}

function tlsFiles(env: Env): Config["tls"] {
  const certFile = env.TLS_CERT_FILE || undefined;
  const keyFile = env.TLS_KEY_FILE || undefined;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error("TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  return Object.freeze({ certFile: resolve(certFile), keyFile: resolve(keyFile) });
}

function connectionLimits(env: Env): ConnectionLimits {
  const headersTimeoutMs = integer(env, "HTTP_HEADERS_TIMEOUT_MS", limits.headersTimeoutMs, 10, 600_000);
  return Object.freeze({
    headersTimeoutMs,
    // node:http refuses a request timeout shorter than the header timeout.
    requestTimeoutMs: integer(env, "HTTP_REQUEST_TIMEOUT_MS", Math.max(limits.requestTimeoutMs, headersTimeoutMs), headersTimeoutMs, 3_600_000),
    keepAliveTimeoutMs: integer(env, "HTTP_KEEP_ALIVE_TIMEOUT_MS", limits.keepAliveTimeoutMs, 10, 600_000),
    // Above the SSE stream's 15 s keep-alive comment, so that a quiet stream is not taken for a dead one.
    idleTimeoutMs: integer(env, "HTTP_IDLE_TIMEOUT_MS", limits.idleTimeoutMs, 20_000, 3_600_000),
    maxConnections: integer(env, "MAX_CONNECTIONS", limits.maxConnections, 1, 1_000_000),
    maxConcurrentStreams: integer(env, "HTTP2_MAX_CONCURRENT_STREAMS", limits.maxConcurrentStreams, 1, 10_000),
  });
}

/** `127.0.0.0/8,::1`: addresses or CIDR blocks, IPv4 or IPv6. */
function networks(env: Env, name: string): readonly AllowedNetwork[] {
  const raw = env[name] ?? "";
  return Object.freeze(
    raw
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry): AllowedNetwork => {
        const [address = "", prefixText, ...rest] = entry.split("/");
        const version = isIP(address);
        const max = version === 6 ? 128 : 32;
        const prefix = prefixText === undefined ? max : Number(prefixText);
        if (!version || rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
          throw new Error(`${name} must be a comma-separated list of addresses or CIDR blocks (127.0.0.0/8,::1), got "${entry}"`);
        }
        return Object.freeze({ address, prefix, family: version === 6 ? "ipv6" : "ipv4" });
      }),
  );
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!allowed.includes(raw as T)) throw new Error(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw as T;
}
