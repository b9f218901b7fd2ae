import autocannon from "autocannon";

export interface HttpFigures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

export interface HttpLoad {
  readonly url: string;
  readonly method: "GET" | "POST" | "PUT";
  readonly headers?: Record<string, string>;
  /** A fresh body per request (e.g. a unique userName). */
  readonly body?: () => string;
  readonly connections?: number;
  readonly seconds?: number;
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
  const result = await run(load.seconds ?? 5);
  return { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx + result.errors };
}
