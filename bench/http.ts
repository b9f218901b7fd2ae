import { readFileSync } from "node:fs";
import autocannon from "autocannon";

export interface HttpFigures {
  readonly requestsPerSecond: number;
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
}

/** autocannon with a fixed shape: 50 connections, one warm-up second, then the measured run. */
export async function measure(load: HttpLoad): Promise<HttpFigures> {
  const run = (seconds: number) =>
    autocannon({
      url: load.url,
      method: load.method,
      connections: load.connections ?? 50,
      duration: seconds,
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
  return { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx + result.errors, ...cpu };
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
