import { Writable } from "node:stream";
import winston from "winston";

export type Logger = winston.Logger;

/** JSON lines on stdout. Callers never pass secrets, tokens, passwords or request bodies. */
export function createLogger(level: string, silent = false): Logger {
  return winston.createLogger({
    level,
    silent,
    format: lineFormat,
    defaultMeta: { service: "idledger" },
    transports: [new winston.transports.Stream({ stream: (stdout ??= batchedStdout()) })],
  });
}

const MESSAGE = Symbol.for("message");
const logformJson = winston.format.json();

/**
 * The line of a log entry: JSON.stringify, the engine's own, about 3-6 µs a line cheaper than
 * logform's json format (it configures safe-stable-stringify anew for every line and passes each
 * key through a replacer): one line per request. What JSON.stringify refuses (a BigInt, a cycle)
 * is written by logform's json format as before: BigInts as strings, cycles marked.
 */
const jsonLine = winston.format((info) => {
  try {
    (info as unknown as Record<symbol, string>)[MESSAGE] = JSON.stringify(info);
    return info;
  } catch {
    return logformJson.transform(info, logformJson.options);
  }
});

/** Every entry's format: its time, an Error's stack, one JSON line. */
export const lineFormat = winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), jsonLine());

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
