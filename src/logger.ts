import { Writable } from "node:stream";
import winston from "winston";

export type Logger = winston.Logger;

/** JSON lines on stdout. Callers never pass secrets, tokens, passwords or request bodies. */
export function createLogger(level: string, silent = false): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: "idledger" },
    transports: [new winston.transports.Stream({ stream: (stdout ??= batchedStdout()) })],
  });
}

let stdout: Writable | undefined;

/**
 * stdout, written once per turn of the event loop: one line per request would otherwise be one
 * write(2) per request (stdout to a pipe or file writes synchronously). What is still buffered when
 * the process exits is written then.
 */
function batchedStdout(): Writable {
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("");
    lines = [];
    process.stdout.write(text);
  };
  process.once("exit", flush);
  return new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      if (lines.length === 0) setImmediate(flush);
      lines.push(chunk);
      done();
    },
  });
}
