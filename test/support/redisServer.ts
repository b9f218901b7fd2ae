import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export const REDIS_SERVER_BINARY = "/usr/bin/redis-server";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Why Redis tests cannot run here, or undefined when they can. Callers print one loud SKIP line. */
export const redisSkipReason = (): string | undefined =>
  existsSync(REDIS_SERVER_BINARY) ? undefined : `${REDIS_SERVER_BINARY} is missing (apt-get install redis-server)`;

/**
 * A throwaway redis-server of the test's own on a free loopback port: no RDB, no AOF, so a restart
 * is a Redis that lost its data. Resolves once it answers PING.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await terminate(child, "SIGKILL");
    },
    async restart() {
      await terminate(child, "SIGKILL");
      child = await launch(port);
    },
    async stop() {
      await terminate(child, "SIGTERM");
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER_BINARY, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForPing(port), exited]);
  return child;
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
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
