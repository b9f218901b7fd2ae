import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { sha256Hash } from "../../src/commands/user/secrets.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";
import { opaqueAccessToken, resolveAccessToken, type AccessTokenReads } from "../../src/oauth/accessTokens.js";
import { verifyAssertion } from "../../src/oauth/assertion.js";
import { OAuthError } from "../../src/oauth/errors.js";
import { openKeyRing } from "../../src/oauth/keys/keyRing.js";
import { appendSigningKey } from "../../src/oauth/keys/signingKeyEvents.js";
import type { MachineKeyView, OidcSessionView, UserView } from "../../src/projections/views.js";
import type { Queries } from "../../src/queries/queries.js";
import { aesGcmEncryption } from "../../src/crypto/encryption.js";

const token = opaqueAccessToken("42", "A".repeat(43));
const session = (expiresAt: string, tokenHash = sha256Hash(token)): OidcSessionView => ({
  sessionId: "42",
  userId: "u1",
  resourceOwner: "o1",
  clientId: "robot",
  audience: ["robot"],
  accessToken: { scope: ["openid"], issuedAt: "2026-01-01T00:00:00.000Z", expiresAt, tokenHash },
});
const user = (state: string): UserView =>
  ({ id: "u1", userName: "robot", state, details: { sequence: 1, creationDate: "", changeDate: "", resourceOwner: "o1" } }) as UserView;
const reads = (s: OidcSessionView | undefined, u: UserView | undefined): AccessTokenReads => ({ oidcSession: async () => s, user: async () => u });
const noKeys = { verificationKey: async () => undefined };
const future = new Date(Date.now() + 60_000).toISOString();

describe("resolveAccessToken", () => {
  it("resolves a live opaque token of an active user", async () => {
    const holder = await resolveAccessToken(token, reads(session(future), user("USER_STATE_ACTIVE")), noKeys);
    assert.equal(holder?.userId, "u1");
    assert.equal(holder?.tokenId, "42");
  });

  it("refuses a user in any state but ACTIVE, and a user that is gone", async () => {
    for (const state of ["USER_STATE_INITIAL", "USER_STATE_INACTIVE", "USER_STATE_LOCKED", "USER_STATE_DELETED"]) {
      assert.equal(await resolveAccessToken(token, reads(session(future), user(state)), noKeys), undefined, state);
    }
    assert.equal(await resolveAccessToken(token, reads(session(future), undefined), noKeys), undefined);
  });

  it("refuses an expired, revoked (no session) or forged token", async () => {
    const active = user("USER_STATE_ACTIVE");
    assert.equal(await resolveAccessToken(token, reads(session(new Date(Date.now() - 1000).toISOString()), active), noKeys), undefined);
    assert.equal(await resolveAccessToken(token, reads(undefined, active), noKeys), undefined);
    assert.equal(await resolveAccessToken(opaqueAccessToken("42", "B".repeat(43)), reads(session(future), active), noKeys), undefined);
    assert.equal(await resolveAccessToken(token, reads(session(future, sha256Hash("other")), active), noKeys), undefined);
    assert.equal(await resolveAccessToken("x".repeat(5000), reads(session(future), active), noKeys), undefined);
  });
});

describe("signing key ring", () => {
  it("signs with the newest key and publishes a replaced one only for its retention", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-keyring-"));
    const store = withEventSchemas(createSqliteEventStore({ path: join(dir, "events.sqlite") }));
    try {
      const encryption = aesGcmEncryption(Buffer.alloc(32, 7));
      let id = 0;
      let now = Date.parse("2026-06-01T00:00:00.000Z");
      const clock = () => now;
      const ring = await openKeyRing({ store, encryption, newId: () => String(++id), retentionMs: 60_000, refreshMs: 0, clock });
      const first = (await ring.signingKey()).kid;
      const again = await openKeyRing({ store, encryption, newId: () => "never", retentionMs: 60_000, refreshMs: 0, clock });
      assert.equal((await again.signingKey()).kid, first, "a second instance uses the key the first start added");

      now += 1000;
      await appendSigningKey(store, encryption, { keyId: "second", now: new Date(now), expectedRevision: "any" });
      assert.equal((await ring.signingKey()).kid, "second");
      now += 59_000;
      assert.deepEqual((await ring.jwks()).keys.map((k) => k.kid), ["second", first]);
      assert.ok(await ring.verificationKey(first));
      now += 1000;
      assert.deepEqual((await ring.jwks()).keys.map((k) => k.kid), ["second"]);
      assert.equal(await ring.verificationKey(first), undefined, "retired once its tokens can no longer be alive");
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("verifyAssertion", () => {
  it("refuses an assertion signed with a key past its expiration date", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = (expirationDate: string): MachineKeyView => ({
      keyId: "k1",
      userId: "u1",
      type: 1,
      expirationDate,
      publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
      details: { sequence: 1, creationDate: "", changeDate: "", resourceOwner: "o1" },
    });
    const queries = (expirationDate: string) => ({ user: async () => user("USER_STATE_ACTIVE"), machineKeyOf: async () => key(expirationDate) }) as unknown as Queries;
    const now = Math.floor(Date.now() / 1000);
    const signed = await new SignJWT({ iss: "u1", sub: "u1", aud: "https://issuer", iat: now, exp: now + 60 }).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(privateKey);
    assert.equal((await verifyAssertion(signed, "https://issuer", queries(future))).keyId, "k1");
    await assert.rejects(verifyAssertion(signed, "https://issuer", queries(new Date(Date.now() - 1000).toISOString())), (error: unknown) => {
      assert.ok(error instanceof OAuthError);
      assert.deepEqual([error.error, error.description], ["invalid_grant", "invalid signature (error fetching keys: Errors.AuthNKey.NotFound)"]);
      return true;
    });
  });
});
