import Database from "better-sqlite3";
import { UniqueConstraintViolation, WrongExpectedRevision } from "../errors.js";
import type { AppendRequest } from "./appendEvents.js";
import type { Outcome } from "./commitBatch.js";

// Messages between the store and its writer thread. Errors do not cross a thread with their class
// and fields (structured clone keeps only a message), so each kind the store tells apart travels
// as data and is made again on the other side.

export interface OpenWriter {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

export interface CommitRequest {
  readonly id: number;
  readonly batch: readonly AppendRequest[];
}

export type CommitAnswer =
  | { readonly id: number; readonly outcomes: readonly Outcome<WireError>[] }
  | { readonly id: number; readonly batchFailed: WireError };

/** The worker says it has opened the database (`ready`) or could not (`failed`). */
export type WriterStatus = { readonly ready: true } | { readonly failed: WireError };

export type WireError =
  | { readonly kind: "revision"; readonly stream: string; readonly expected: WrongExpectedRevision["expected"]; readonly actual: WrongExpectedRevision["actual"] }
  | { readonly kind: "unique"; readonly constraint: UniqueConstraintViolation["constraint"] }
  | { readonly kind: "sqlite"; readonly code: string; readonly message: string }
  | { readonly kind: "other"; readonly message: string; readonly stack?: string };

export function toWire(error: unknown): WireError {
  if (error instanceof WrongExpectedRevision) return { kind: "revision", stream: error.stream, expected: error.expected, actual: error.actual };
  if (error instanceof UniqueConstraintViolation) return { kind: "unique", constraint: error.constraint };
  if (error instanceof Database.SqliteError) return { kind: "sqlite", code: error.code, message: error.message };
  if (error instanceof Error) return { kind: "other", message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { kind: "other", message: String(error) };
}

export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case "revision":
      return new WrongExpectedRevision(wire.stream, wire.expected, wire.actual);
    case "unique":
      return new UniqueConstraintViolation(wire.constraint);
    case "sqlite":
      return new Database.SqliteError(wire.message, wire.code);
    case "other": {
      const error = new Error(`sqlite writer thread: ${wire.message}`);
      if (wire.stack) error.stack = wire.stack;
      return error;
    }
    default:
      return wire satisfies never;
  }
}
