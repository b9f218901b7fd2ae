import { pathToFileURL } from "node:url";
import { createAccessTokenInterceptor, createManagementClient } from "@zitadel/node/dist/api/index.js";
import { startTestService } from "../test/support/service.js";

export interface GrpcFigures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export interface GrpcBenchResult {
  readonly addMachineUser: GrpcFigures;
  readonly getUserByID: GrpcFigures;
}

export interface GrpcBenchOptions {
  /** A running service; without one, a fresh one starts in this process (test/support/service.ts). */
  readonly target?: { readonly url: string; readonly adminToken: string };
  readonly concurrency?: number;
  readonly seconds?: number;
}

/**
 * gRPC throughput as ZITADEL's users see it: @zitadel/node (grpc-js over one h2c connection) with
 * `concurrency` calls in flight, one warm-up second, then `seconds` measured, per method.
 */
export async function benchGrpc({ target, concurrency = 50, seconds = 3 }: GrpcBenchOptions = {}): Promise<GrpcBenchResult> {
  const service = target ? undefined : await startTestService();
  const { url, adminToken } = target ?? service!;
  const client = createManagementClient(new URL(url).host, createAccessTokenInterceptor(adminToken));
  try {
    let counter = 0;
    const userIds: string[] = [];
    const add = async () => {
      const { userId } = await client.addMachineUser({ userName: `grpc-bench-${process.pid}-${Date.now()}-${counter++}`, name: "Bench", description: "", accessTokenType: 0 });
      userIds.push(userId);
    };
    const get = () => client.getUserByID({ id: userIds[counter++ % userIds.length]! });

    await run(add, concurrency, 1);
    const addMachineUser = await run(add, concurrency, seconds);
    await run(get, concurrency, 1);
    const getUserByID = await run(get, concurrency, seconds);
    return { addMachineUser, getUserByID };
  } finally {
    await service?.dispose();
  }
}

/** `concurrency` loops calling `call` back to back until the time is up. */
async function run(call: () => Promise<unknown>, concurrency: number, seconds: number): Promise<GrpcFigures> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          await call();
          latencies.push(performance.now() - sent);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
  return { requestsPerSecond: Math.round(latencies.length / elapsedSeconds), p99Ms: Math.round(p99 * 10) / 10, errors };
}

// `node --import tsx bench/grpc.ts [seconds]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchGrpc({ seconds: Number(process.argv[2] ?? 3) }), null, 2));
}
