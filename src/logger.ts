import winston from "winston";

export type Logger = winston.Logger;

/** JSON lines on stdout. Callers never pass secrets, tokens, passwords or request bodies. */
export function createLogger(level: string, silent = false): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: "idledger" },
    transports: [new winston.transports.Console()],
  });
}
