import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Histogram, Registry } from "prom-client";
import { requestHistogram } from "../../src/metrics/requestHistogram.js";

describe("request histogram", () => {
  it("renders exactly as prom-client's own histogram with the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.001, 0.01, 0.1, 1];
    const lean = requestHistogram(ours, { name: "t_seconds", help: "help", buckets });
    const reference = new Histogram({ name: "t_seconds", help: "help", labelNames: ["method", "code"], buckets, registers: [theirs] });
    for (const [method, code, value] of [["A", "0", 0.0005], ["A", "0", 0.01], ["B", "5", 3], ["A", "0", 0.5], ["B", "5", 0.001]] as const) {
      lean.observe(`${method}/${code}`, () => ({ method, code }), value);
      reference.labels(method, code).observe(value);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
