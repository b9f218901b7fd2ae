import assert from "node:assert/strict";
import { it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { upcast } from "../../src/events/registry.js";

const recorded = (type: string, data: unknown, schemaVersion: number): RecordedEvent => ({
  id: "e",
  type,
  stream: "s",
  revision: 0,
  position: 1n,
  data,
  metadata: { resourceOwner: "o", instanceId: "i", editorUser: "u", createdAt: "2026-01-01T00:00:00Z", correlationId: "c", causationId: "c", schemaVersion },
});

it("reads version 1 payloads as ZITADEL's CryptoValue: a hashed initialization code stays the hash it was", () => {
  const hash = `sha256:${"a".repeat(64)}`;
  const event = upcast(recorded("user.human.initialization.code.added", { code: { cryptoType: 1, algorithm: "sha256", crypted: hash }, expiry: 5 }, 1));
  assert.equal(event.metadata.schemaVersion, 2);
  assert.deepEqual(event.data, { code: { CryptoType: 1, Algorithm: "sha256", KeyID: "", Crypted: Buffer.from(hash).toString("base64") }, expiry: 5 });
});

it("reads a version 1 webhook target's signing key in ZITADEL's field names", () => {
  const key = { cryptoType: 0, algorithm: "aes-256-gcm", keyId: "0123abcd", crypted: "eA==" };
  const event = upcast(recorded("webhook.target.added", { name: "n", endpoint: "https://example.com/", eventTypes: [], signingKey: key }, 1));
  assert.deepEqual((event.data as { signingKey: unknown }).signingKey, { CryptoType: 0, Algorithm: "aes-256-gcm", KeyID: "0123abcd", Crypted: "eA==" });
});
