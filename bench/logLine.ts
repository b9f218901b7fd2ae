import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import winston from "winston";
import { lineFormat } from "../src/logger.js";

/**
 * CPU per request log line through winston, into a sink that drops it: the service's format
 * (src/logger.ts) against logform's json format in its place, in alternation, same run.
 * `npm run build && node dist/bench/logLine.js`
 */
export function benchLogLine(lines = 100_000, rounds = 3) {
  const make = (format: winston.Logform.Format) =>
    winston.createLogger({
      format,
      defaultMeta: { service: "idledger" },
      transports: [new winston.transports.Stream({ stream: new Writable({ decodeStrings: false, write: (_chunk, _encoding, done) => done() }) })],
    });
  const loggers = {
    service: make(lineFormat),
    logformJson: make(winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())),
  };
  const perLine: Record<keyof typeof loggers, number[]> = { service: [], logformJson: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(loggers) as (keyof typeof loggers)[]) {
      const started = performance.now();
      for (let i = 0; i < lines; i++) loggers[name].info("request", { requestId: "0a1b2c3d-0000-4000-8000-000000000000", method: "POST", route: "/oauth/v2/token", status: 200, durationMs: 1.2345 });
      perLine[name].push(((performance.now() - started) * 1000) / lines);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { microsecondsPerLine: median(perLine.service), logformJson: median(perLine.logformJson) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(benchLogLine());
