import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { toWireError } from "../../src/api/errorBody.js";
import { catalogue, DomainError, StatusError } from "../../src/errors.js";
import { EventStoreUnavailable } from "../../src/events/errors.js";
import { MasterKeyMismatch } from "../../src/privacy/vault.js";

it("every error id in the catalogue is documented in docs/errors.md", async () => {
  const docs = await readFile(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const missing = Object.values(catalogue)
    .map((entry) => entry.id)
    .filter((id) => !docs.includes(`\`${id}\``));
  assert.deepEqual(missing, []);
});

it("maps categories to gRPC codes and grpc-gateway HTTP statuses", () => {
  const cases: [unknown, number, number][] = [
    [new DomainError("userNotFound"), 5, 404],
    [new DomainError("userNameTaken"), 6, 409],
    [new DomainError("userNotChanged"), 9, 400],
    [new DomainError("permissionDenied"), 7, 403],
    [new DomainError("tokenInvalid"), 16, 401],
    [new StatusError("InvalidArgument", "x"), 3, 400],
    [new StatusError("Unimplemented", "x"), 12, 501],
    [new EventStoreUnavailable("down"), 14, 503],
    [new MasterKeyMismatch("the master key of the key store was rotated since this process started"), 14, 503],
  ];
  for (const [error, code, status] of cases) {
    const wire = toWireError(error);
    assert.equal(wire.code, code);
    assert.equal(wire.httpStatus, status);
  }
});

it("puts the id in the message and the detail, as ZITADEL's gerrors does", () => {
  const wire = toWireError(new DomainError("userNotFoundQuery"));
  assert.equal(wire.message, "User could not be found (QUERY-Dfbg2)");
  assert.deepEqual(wire.detail, { id: "QUERY-Dfbg2", message: "User could not be found" });
});

it("never lets an unexpected error's text or stack reach the wire", () => {
  const wire = toWireError(new Error("SQLITE_CORRUPT: database disk image is malformed at /secret/path"));
  assert.equal(wire.code, 13);
  assert.equal(wire.message, "An internal error occurred (API-iN7Lp)");
  assert.ok(!JSON.stringify(wire).includes("SQLITE"));
});

it("answers an instance left on a rotated master key as unavailable, without the cause's text", () => {
  const wire = toWireError(new MasterKeyMismatch("the master key of the key store was rotated (or is being rotated) since this process started"));
  assert.equal(wire.message, "The service is temporarily unavailable (API-mU8fR)");
  assert.ok(!JSON.stringify(wire).includes("master key"), "operational detail stays in the log");
});
