import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkImportedHash } from "../../src/commands/user/importedHashes.js";
import { verifyPassword } from "../../src/commands/user/secrets.js";
import { DomainError } from "../../src/errors.js";

const password = "Imp0rted!Pass";

/**
 * Hashes of `password` made by other implementations than the one idledger verifies with:
 * Apache's htpasswd -B (bcrypt $2y$), the argon2 reference CLI, and Python's hashlib.scrypt
 * written in passlib's format (salt "randomsaltishard").
 */
const foreign = {
  bcrypt: "$2y$10$OQNeQfQOuiqYkyW.qYRQlepeGbVpUUVO5kctmS.TEoZmQVbH5Ugye",
  argon2id: "$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHR2YWx1ZTE2Yg$CvJf06qNtGVPvq1LGPmTNNFLgeBD4jYpKG6qmakEFaQ",
  argon2i: "$argon2i$v=19$m=4096,t=2,p=1$c29tZXNhbHR2YWx1ZTE2Yg$S08z8xHgCIhr7Fvw+6sp3Na3BknVNpqJDEPVGsej3dY",
  scrypt: "$scrypt$ln=12,r=8,p=1$cmFuZG9tc2FsdGlzaGFyZA$oin09c6ceAzFzKd/ATmIIlsdzraCIeUD0i06NrjsWQg",
};

const refusedId = (encoded: string) => {
  try {
    checkImportedHash(encoded);
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return error.id;
  }
  return "accepted";
};

describe("imported password hashes", () => {
  for (const [name, encoded] of Object.entries(foreign)) {
    it(`accepts ${name} and verifies the right password only`, async () => {
      assert.equal(refusedId(encoded), "accepted");
      assert.equal(await verifyPassword(password, encoded), true);
      assert.equal(await verifyPassword(`${password}x`, encoded), false);
    });
  }

  it("refuses encodings it cannot verify (USER-JDk4t)", () => {
    for (const encoded of ["plaintext", "$1$saltsalt$hash", "$pbkdf2-sha256$29000$c2FsdA$aGFzaA", foreign.bcrypt.slice(0, -1), "scrypt:AAAA"]) {
      assert.equal(refusedId(encoded), "USER-JDk4t", encoded);
    }
  });

  it("refuses costs beyond its bounds, since every later check would pay them", () => {
    assert.equal(refusedId(foreign.bcrypt.replace("$10$", "$31$")), "USER-JDk4t");
    assert.equal(refusedId(foreign.argon2id.replace("m=4096", "m=4194304")), "USER-JDk4t");
    assert.equal(refusedId(foreign.argon2id.replace("t=2", "t=99")), "USER-JDk4t");
    assert.equal(refusedId(foreign.scrypt.replace("ln=12", "ln=24")), "USER-JDk4t");
  });

  it("never verifies a password against something that is not a hash", async () => {
    assert.equal(await verifyPassword(password, password), false);
  });
});
