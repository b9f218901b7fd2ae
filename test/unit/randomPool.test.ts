import assert from "node:assert/strict";
import { randomFillSync } from "node:crypto";
import { describe, it } from "node:test";
import { createRandomPool, randomBase64url } from "../../src/crypto/randomPool.js";

describe("random pool", () => {
  it("hands every byte of every fill out once, in order, across refills", () => {
    const fills: Buffer[] = [];
    const next = createRandomPool((buffer) => {
      fills.push(randomFillSync(buffer));
      return buffer;
    });
    // 4096 is not a multiple of 48: the last 16 bytes of each fill are left, never split.
    const tokens = Array.from({ length: 200 }, () => Buffer.from(next(48), "base64url"));
    assert.equal(fills.length, 3);
    const perFill = Math.floor(4096 / 48);
    tokens.forEach((token, i) => {
      const fill = fills[Math.floor(i / perFill)]!;
      const at = (i % perFill) * 48;
      assert.deepEqual(token, fill.subarray(at, at + 48), `token ${i}`);
    });
  });

  it("gives tokens of the asked size that never repeat", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = randomBase64url(32);
      assert.equal(Buffer.from(token, "base64url").length, 32);
      seen.add(token);
    }
    assert.equal(seen.size, 10_000);
  });

  it("reads more than a pool holds from the CSPRNG directly", () => {
    const next = createRandomPool(() => assert.fail("a large request must not come from the pool"));
    assert.equal(Buffer.from(next(5000), "base64url").length, 5000);
  });
});
