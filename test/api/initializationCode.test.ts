import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, it } from "node:test";
import { aesGcmEncryption } from "../../src/crypto/encryption.js";
import { restClient, startTestService } from "../support/service.js";

const service = await startTestService();
after(() => service.dispose());

it("an initialization code is in the log only encrypted under the server's key, with ZITADEL's 72 h expiry", async () => {
  const created = await restClient(service)("POST", "/management/v1/users/human", {
    userName: "needs-init",
    profile: { firstName: "N", lastName: "I" },
    email: { email: "init@example.com" },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const events = await service.store.readStream(`user-${created.body.userId}`);
  const added = events.find((event) => event.type === "user.human.initialization.code.added");
  assert.ok(added, "the user must still initialize");
  const { code, expiry } = added.data as { code: { CryptoType: number; KeyID: string; Crypted: string }; expiry: number };
  assert.equal(expiry, 72 * 3600 * 1e9);
  assert.equal(code.CryptoType, 0, "encrypted, not hashed");

  // Whoever has the log but not the key learns nothing that checks a guess: no unkeyed hash of the code anywhere.
  const key = Buffer.from((await readFile(join(service.dataDir, "codes.key"), "utf8")).trim(), "base64");
  const plain = aesGcmEncryption(key).decrypt(code as never);
  assert.match(plain, /^[A-HJ-NP-Z2-9]{6}$/);
  const everything = JSON.stringify(events.map((event) => [event.data, event.metadata]));
  for (const encoding of ["hex", "base64"] as const) assert.ok(!everything.includes(createHash("sha256").update(plain).digest(encoding)), encoding);
  assert.ok(!everything.includes(plain));
});
