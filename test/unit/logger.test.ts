import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lineFormat } from "../../src/logger.js";

const MESSAGE = Symbol.for("message");
/** The line lineFormat writes for this entry, parsed back. */
const written = (entry: Record<string, unknown>) => {
  const info = lineFormat.transform({ level: "info", message: "request", ...entry }, lineFormat.options) as unknown as Record<symbol, string>;
  return JSON.parse(info[MESSAGE]!) as Record<string, unknown>;
};

describe("log lines", () => {
  it("are one JSON object with the entry's fields, its level, message and time", () => {
    const line = written({ requestId: "r-1", method: "POST", route: "/oauth/v2/token", status: 200, durationMs: 1.5 });
    const { timestamp, ...rest } = line;
    assert.deepEqual(rest, { level: "info", message: "request", requestId: "r-1", method: "POST", route: "/oauth/v2/token", status: 200, durationMs: 1.5 });
    assert.ok(!Number.isNaN(Date.parse(timestamp as string)), `timestamp ${String(timestamp)}`);
  });

  it("write a BigInt as its digits, in a string, as logform does", () => {
    assert.equal(written({ position: 9007199254740993n }).position, "9007199254740993");
  });

  it("write an entry that refers to itself, instead of throwing", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    assert.deepEqual(written({ cyclic }).cyclic, { name: "a", self: "[Circular]" });
  });

  it("carry an Error's message and stack", () => {
    const info = lineFormat.transform(Object.assign(new Error("boom"), { level: "error" }) as never, lineFormat.options) as unknown as Record<symbol, string>;
    const line = JSON.parse(info[MESSAGE]!) as Record<string, unknown>;
    assert.equal(line.message, "boom");
    assert.match(line.stack as string, /^Error: boom\n\s+at /);
  });
});
