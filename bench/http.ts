import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { entryBeside } from "./entry.js";

export interface HttpFigures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** With `cpuOf`: the server's CPU time (user + system, all threads) per request of the measured run. */
  readonly cpuMsPerRequest?: number;
}

export interface HttpLoad {
  readonly url: string;
  readonly method: "GET" | "POST" | "PUT";
  readonly headers?: Record<string, string>;
  /** A fresh body per request (e.g. a unique userName). */
  readonly body?: () => string;
  readonly connections?: number;
  readonly seconds?: number;
  /**
   * The server's pid, to read its CPU time (Linux /proc) around the measured run: on a machine
   * shared with other work, CPU per request moves far less than requests per second.
   */
  readonly cpuOf?: number;
  /**
   * Requests per second from all connections together (autocannon's `overallRate`) instead of as
   * many as the server answers. autocannon spends each connection's share at the start of every
   * second, back to back, so only one connection keeps a single request in flight: its latency is
   * one request's, with no other one queued before it. Its coordinated-omission correction is off:
   * it takes the expected interval as ceil(1 / rate) ms, i.e. 1 ms, and would add made-up samples to
   * every response slower than that.
   */
  readonly rate?: number;
}

/** autocannon with a fixed shape: 50 connections (unless told), one warm-up second, then the measured run. */
export async function measure(load: HttpLoad): Promise<HttpFigures> {
  const run = (seconds: number) =>
    autocannon({
      url: load.url,
      method: load.method,
      connections: load.connections ?? 50,
      duration: seconds,
      ...(load.rate === undefined ? {} : { overallRate: load.rate, ignoreCoordinatedOmission: true }),
      headers: { "content-type": "application/json", ...load.headers },
      requests: [
        {
          setupRequest: (request: { body?: string }) => {
            if (load.body) request.body = load.body();
            return request;
          },
        },
      ],
    } as autocannon.Options);
  await run(1);
  const cpuBefore = load.cpuOf === undefined ? 0 : cpuMs(load.cpuOf);
  const result = await run(load.seconds ?? 5);
  const cpu = load.cpuOf === undefined ? {} : { cpuMsPerRequest: (cpuMs(load.cpuOf) - cpuBefore) / Math.max(1, result.requests.total) };
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx + result.errors, ...cpu };
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * bench/bareExpress.ts in its own process on loopback, the baseline of the REST figures. With
 * `pagesDir`, it also answers POST /bare/page/{name} with the JSON of `{name}.json` there.
 */
export async function startBare(pagesDir?: string) {
  const child = spawn(process.execPath, entryBeside(import.meta.url, "./bareExpress"), {
    env: { ...process.env, ...(pagesDir ? { BARE_PAGES_DIR: pagesDir } : {}) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => (child.kill("SIGTERM"), exited) };
}
