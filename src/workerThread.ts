import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the worker module `name` that lies beside the module at `besideUrl`. Built, it is a .js
 * file there. Run from source (tests, bench), it is TypeScript, and a worker's own module loader
 * knows nothing of the tsx that loads this thread's code: the worker registers tsx first.
 */
export function startWorker(besideUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSource = besideUrl.endsWith(".ts");
  const file = new URL(`./${name}.${fromSource ? "ts" : "js"}`, besideUrl);
  if (!fromSource) return new Worker(file, options);
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return new Worker(`import(${tsx}).then(({ register }) => (register(), import(${JSON.stringify(file.href)})))`, { ...options, eval: true });
}
