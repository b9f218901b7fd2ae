import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { codeGenerator } from "../../src/crypto/codes.js";
import { aesGcmEncryption, DecryptionFailed } from "../../src/crypto/encryption.js";
import { initializationCodes } from "../../src/commands/user/secrets.js";

const key = randomBytes(32);
const codes = codeGenerator(initializationCodes, aesGcmEncryption(key));
const issuedAt = new Date("2026-01-01T00:00:00Z");
const later = (ms: number) => new Date(issuedAt.getTime() + ms);

describe("one-time codes", () => {
  it("are ZITADEL's InitializeUserCode: 6 characters valid 72 hours, encrypted, never the same ciphertext twice", () => {
    const code = codes.newCode();
    assert.match(code.plain, /^[A-HJ-NP-Z2-9]{6}$/);
    assert.equal(code.expiryNanos, 72 * 3600 * 1e9);
    assert.equal(code.value.CryptoType, 0);
    assert.equal(code.value.Algorithm, "aes-256-gcm");
    assert.doesNotMatch(JSON.stringify(code.value), new RegExp(code.plain));
    assert.notEqual(codes.newCode().value.Crypted, aesGcmEncryption(key).encrypt(code.plain).Crypted);
  });

  it("verify the code given within its expiry, and only that code", () => {
    const { plain, value, expiryNanos } = codes.newCode();
    const issued = { value, expiryNanos, createdAt: issuedAt };
    assert.equal(codes.verify(issued, plain, later(1000)), "valid");
    assert.equal(codes.verify(issued, plain.toLowerCase(), later(1000)), "invalid");
    assert.equal(codes.verify(issued, `${plain}X`, later(1000)), "invalid");
    assert.equal(codes.verify(issued, plain, later(72 * 3600_000 + 1)), "expired");
    assert.equal(codes.verify({ ...issued, expiryNanos: 0 }, plain, later(365 * 24 * 3600_000)), "valid", "expiry 0: never expires, as ZITADEL");
  });

  it("cannot be verified with another key, when altered, or from a hash written by an older version", () => {
    const { plain, value, expiryNanos } = codes.newCode();
    const other = codeGenerator(initializationCodes, aesGcmEncryption(randomBytes(32)));
    assert.equal(other.verify({ value, expiryNanos, createdAt: issuedAt }, plain, issuedAt), "invalid");
    const bytes = Buffer.from(value.Crypted, "base64");
    bytes[14]! ^= 1;
    assert.equal(codes.verify({ value: { ...value, Crypted: bytes.toString("base64") }, expiryNanos, createdAt: issuedAt }, plain, issuedAt), "invalid");
    const hashed = { CryptoType: 1 as const, Algorithm: "sha256", KeyID: "", Crypted: Buffer.from("sha256:00").toString("base64") };
    assert.equal(codes.verify({ value: hashed, expiryNanos, createdAt: issuedAt }, plain, issuedAt), "invalid");
    assert.throws(() => aesGcmEncryption(randomBytes(32)).decrypt(value), DecryptionFailed);
  });
});
