import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { entryBeside } from "../../bench/entry.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line the process wrote to stdout and stderr so far. */
  readonly output: () => string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Runs the service as its own process and waits until it listens: `src/main.ts` through tsx from
 * the sources (the tests), the compiled `src/main.js` from dist/ (the benchmarks, as `npm start` runs it).
 */
export async function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, entryBeside(import.meta.url, "../../src/main"), {
    cwd: root,
    // CONSISTENCY_TIMEOUT_MS: as in startTestService (test/support/service.ts), for a loaded machine.
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", PASSWORD_SCRYPT_LOGN: "10", CONSISTENCY_TIMEOUT_MS: "10000", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));

  const port = await new Promise<number>((resolve, reject) => {
    // A loaded machine (several suites on two cores) may take long to compile and start. A process that
    // never started is killed, or its open pipes would keep the test's process alive.
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`service did not start:\n${output}`))), 60_000);
    // Looked for until found, then no more: every later chunk of a busy service's request log would
    // split the whole output again, and a benchmark's load generator shares this process.
    const look = () => {
      const started = output.split("\n").find((line) => line.includes('"idledger started"'));
      if (started) {
        clearTimeout(timer);
        child.stdout!.off("data", look);
        resolve((JSON.parse(started) as { port: number }).port);
      }
    };
    child.stdout!.on("data", look);
    void exited.then(() => reject(new Error(`service exited before it started:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}
