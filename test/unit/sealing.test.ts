import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import { encrypt, openFields, openFieldsText, SealBroken, sealedNames, sealFields } from "../../src/privacy/sealing.js";

const key = randomBytes(32);
const fields = ["firstName", "email"];

it("seals several fields in one value whose names stay readable and whose values do not", () => {
  const sealed = sealFields(key, "user-1\0user.human.added", { firstName: "Ada", email: "ada@example.com" });
  assert.deepEqual(sealedNames(sealed, fields), ["firstName", "email"]);
  assert.ok(!sealed.includes("Ada") && !sealed.includes(Buffer.from("Ada").toString("base64")));
  assert.deepEqual(openFields(key, "user-1\0user.human.added", sealed, fields), { firstName: "Ada", email: "ada@example.com" });
  assert.notEqual(sealFields(key, "user-1\0user.human.added", { firstName: "Ada" }), sealFields(key, "user-1\0user.human.added", { firstName: "Ada" }), "a fresh nonce each time");
});

it("refuses another key, another stream or type, altered bytes, and names the event type does not have", () => {
  const sealed = sealFields(key, "user-1\0user.human.added", { firstName: "Ada" });
  assert.throws(() => openFields(randomBytes(32), "user-1\0user.human.added", sealed, fields), SealBroken);
  assert.throws(() => openFields(key, "user-2\0user.human.added", sealed, fields), SealBroken, "moved to another user's stream");
  assert.throws(() => openFields(key, "user-1\0user.human.profile.changed", sealed, fields), SealBroken, "moved to another event type");
  const flipped = sealed.slice(0, -4) + (sealed.at(-4) === "A" ? "B" : "A") + sealed.slice(-3);
  assert.throws(() => openFields(key, "user-1\0user.human.added", flipped, fields), SealBroken);
  assert.throws(() => sealedNames(sealed, ["email"]), SealBroken);
  assert.throws(() => sealedNames({ not: "sealed" }, fields), SealBroken);
});

it("refuses a value whose plaintext is not an object of fields, as text (what the worker checks) and as fields", () => {
  const aad = "user-1\0user.human.added";
  const sealed = sealFields(key, aad, { email: "ada@example.com" });
  assert.deepEqual(JSON.parse(openFieldsText(key, aad, sealed, fields)), { email: "ada@example.com" });
  // Each of these is JSON and would be read into a JSON array of the chunk's fields as something else than fields.
  for (const plaintext of ["5", "null", '["email"]', '"email"', "{", '{"email":"a"} {', '{"email":"a"},{"email":"b"}', '{"email":"a\\\\"},{"email":"b"}', '{"email":"a\u0001"}', '{"firstName":"Ada"}']) {
    const notFields = `v1:email:${encrypt(key, aad, plaintext)}`;
    assert.throws(() => openFieldsText(key, aad, notFields, fields), SealBroken, plaintext);
    assert.throws(() => openFields(key, aad, notFields, fields), SealBroken, plaintext);
  }
});

it("opens a plaintext in any form JSON allows, not only the one sealFields writes", () => {
  const aad = "user-1\0user.human.added";
  for (const plaintext of ['{ "email" : "a" }', '{"email":{"nested":[1]}}', '{"email":"a\\"},{\\"email\\":\\"b"}', '{"email":"\\u00e9\u00e9","firstName":-1.5e+3}', "{}"]) {
    const sealed = `v1:email,firstName:${encrypt(key, aad, plaintext)}`;
    assert.equal(openFieldsText(key, aad, sealed, fields), plaintext);
    assert.deepEqual(openFields(key, aad, sealed, fields), JSON.parse(plaintext));
  }
});

it("opens what sealFields wrote, whatever its values hold", () => {
  const aad = "user-1\0user.human.added";
  const values = { a: 'quote " backslash \\ newline \n nul \0 \u2028 lone \ud800 😀 é', b: -0.5, c: 1e21, d: true, e: null };
  const sealed = sealFields(key, aad, values);
  assert.deepEqual(JSON.parse(openFieldsText(key, aad, sealed, Object.keys(values))), values);
});
