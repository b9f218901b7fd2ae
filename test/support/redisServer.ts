import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { Redis, type RedisOptions } from "ioredis";

export const REDIS_SERVER_BINARY = "/usr/bin/redis-server";

export interface RedisServer {
  readonly port: number;
  /** How idledger reaches it: `redis://`, or `rediss://` with TLS, with the credentials in it. */
  readonly url: string;
  /** Kills the server (SIGKILL: as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** `requirepass`: the default user's password. */
  readonly password?: string;
  /** `aclfile`: the users and their rights; `user`/`password` are the ones the URL and the readiness probe use. */
  readonly acl?: { readonly file: string; readonly user: string; readonly password: string };
  /** TLS only (no cleartext port), with these PEM files; clients need not present a certificate. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/** Why Redis tests cannot run here, or undefined when they can. Callers print one loud SKIP line. */
export const redisSkipReason = (): string | undefined =>
  existsSync(REDIS_SERVER_BINARY) ? undefined : `${REDIS_SERVER_BINARY} is missing (apt-get install redis-server)`;

/**
 * A throwaway redis-server of the test's own on a free loopback port: no RDB, no AOF, so a restart
 * is a Redis that lost its data. Resolves once it answers PING (with the credentials it wants).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port, options);
  const user = options.acl?.user ?? "";
  const password = options.acl?.password ?? options.password;
  const credentials = password === undefined ? "" : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
  return {
    port,
    url: `${options.tls ? "rediss" : "redis"}://${credentials}127.0.0.1:${port}`,
    async kill() {
      await terminate(child, "SIGKILL");
    },
    async restart() {
      await terminate(child, "SIGKILL");
      child = await launch(port, options);
    },
    async stop() {
      await terminate(child, "SIGTERM");
    },
  };
}

async function launch(port: number, { password, acl, tls }: RedisServerOptions): Promise<ChildProcess> {
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const auth = [...(password !== undefined ? ["--requirepass", password] : []), ...(acl ? ["--aclfile", acl.file] : [])];
  const child = spawn(REDIS_SERVER_BINARY, [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth], { stdio: "ignore" });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`))),
  );
  exited.catch(() => {});
  const probe: RedisOptions = {
    port,
    host: "127.0.0.1",
    ...(acl ? { username: acl.user, password: acl.password } : password !== undefined ? { password } : {}),
    ...(tls ? { tls: { ca: readFileSync(tls.caFile) } } : {}),
  };
  await Promise.race([waitForPing(probe), exited]);
  return child;
}

async function waitForPing(options: RedisOptions): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${options.port} did not answer PING`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      probe.disconnect();
    }
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await gone;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
