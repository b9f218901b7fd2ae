import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { principalCache } from "../../src/auth/principalCache.js";

const principal = (userId: string) => ({ token: { tokenId: "t", userId, resourceOwner: "org", expiration: "9999-12-31T23:59:59Z" }, roles: ["ORG_OWNER"] });

describe("principal cache", () => {
  it("answers only for the read-model version an entry was read at", () => {
    const cache = principalCache();
    cache.set("token", "41", principal("u1"));
    assert.equal(cache.get("token", "41")?.token.userId, "u1");
    assert.equal(cache.get("token", "42"), undefined);
    assert.equal(cache.get("other", "41"), undefined);
  });

  it("holds at most its bound, dropping the oldest entry", () => {
    const cache = principalCache(2);
    cache.set("a", "1", principal("a"));
    cache.set("b", "1", principal("b"));
    cache.set("a", "1", principal("a"));
    cache.set("c", "1", principal("c"));
    assert.equal(cache.get("b", "1"), undefined);
    assert.equal(cache.get("a", "1")?.token.userId, "a");
    assert.equal(cache.get("c", "1")?.token.userId, "c");
  });
});
