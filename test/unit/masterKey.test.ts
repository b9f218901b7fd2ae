import assert from "node:assert/strict";
import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { formatMasterKey, nextMasterKey, parseMasterKey } from "../../src/privacy/masterKey.js";

describe("the master key file", () => {
  it("the 32-byte form every deployment has reads as before: the userName hash key and the Redis store id derive from the key", () => {
    const raw = randomBytes(32);
    const key = parseMasterKey(raw.toString("base64") + "\n", "k");
    assert.ok(key.wrapping.equals(raw));
    // As vault.ts and openPersonalData.ts derived them before key files had versions.
    assert.ok(key.uniqueHashKey.equals(Buffer.from(hkdfSync("sha256", raw, "", "idledger unique value hash", 32))));
    assert.equal(key.storeId, createHash("sha256").update(raw).digest("hex").slice(0, 16));
  });

  it("a rotation's next key changes only the wrapping key, and its version 2 file reads back the same", () => {
    const current = parseMasterKey(randomBytes(32).toString("base64"), "k");
    const next = nextMasterKey(current);
    assert.ok(!next.wrapping.equals(current.wrapping));
    assert.ok(next.uniqueHashKey.equals(current.uniqueHashKey));
    assert.equal(next.storeId, current.storeId);
    const text = formatMasterKey(next);
    assert.equal(text.split("\n").length, 2, "one line");
    assert.deepEqual(parseMasterKey(text, "k"), next);
  });

  it("refuses anything else, naming the file and never its content", () => {
    const secret = randomBytes(31).toString("base64");
    const valid = JSON.parse(formatMasterKey(nextMasterKey(parseMasterKey(randomBytes(32).toString("base64"), "k"))));
    for (const text of [secret, "{not json", JSON.stringify({ ...valid, version: 3 }), JSON.stringify({ ...valid, storeId: "xyz" }), JSON.stringify({ ...valid, wrappingKey: secret })]) {
      assert.throws(
        () => parseMasterKey(text, "/keys/pd.key"),
        (error: Error) => error.message.startsWith("/keys/pd.key ") && !error.message.includes(secret),
      );
    }
  });
});
