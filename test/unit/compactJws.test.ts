import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { compactVerify, jwtVerify } from "jose";
import { signJwt } from "../../src/oauth/keys/compactJws.js";

describe("RS256 compact JWS (signJwt), checked by jose", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = { kid: "k1", privateKey };

  it("signs claims that jose verifies under the public key, with the header RS256, kid and typ JWT", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signJwt({ iss: "https://id.example.com", sub: "u1", aud: ["a", "b"], iat: now, exp: now + 60, name: "Zoë ✓" }, key);
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { issuer: "https://id.example.com", audience: "b", algorithms: ["RS256"] });
    assert.deepEqual(protectedHeader, { alg: "RS256", kid: "k1", typ: "JWT" });
    assert.equal(payload.name, "Zoë ✓", "UTF-8 claims survive the base64url");
    // Another key (a rotation: another kid) gets a header of its own, not the one kept for the first.
    const rotated = { kid: "k2", privateKey };
    assert.equal(JSON.parse(Buffer.from((await signJwt({ sub: "u2" }, rotated)).split(".")[0]!, "base64url").toString()).kid, "k2");
    assert.equal(JSON.parse(Buffer.from((await signJwt({ sub: "u2" }, key)).split(".")[0]!, "base64url").toString()).kid, "k1");
  });

  it("gives a signature another key does not verify", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    await assert.rejects(compactVerify(await signJwt({ sub: "u1" }, key), other), { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });

  it("refuses a key that is not RSA, rather than calling its signature RS256", async () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    // A rejection, not a throw: callers await it.
    const signing = signJwt({ sub: "u1" }, { kid: "ec", privateKey: ec });
    assert.ok(signing instanceof Promise);
    await assert.rejects(signing, /not an RSA key/);
  });
});
