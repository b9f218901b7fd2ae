import assert from "node:assert/strict";
import { it } from "node:test";
import type { NewEvent } from "../../src/events/envelope.js";
import { InvalidEvent } from "../../src/events/errors.js";
import { assertValidEvent, eventTypes } from "../../src/events/registry.js";

const event = (type: string, data: unknown, schemaVersion = 1): NewEvent => ({
  id: "e",
  type,
  data,
  metadata: { resourceOwner: "o", instanceId: "i", editorUser: "u", createdAt: "2026-01-01T00:00:00Z", correlationId: "c", causationId: "c", schemaVersion },
});

it("knows every event type idledger writes, each with ZITADEL's name", () => {
  const types = eventTypes().map((t) => t.type);
  for (const type of ["user.machine.added", "user.machine.changed", "user.machine.secret.set", "user.human.added", "org.added"]) {
    assert.ok(types.includes(type), type);
  }
});

it("accepts payloads that match and refuses those that do not", () => {
  assert.doesNotThrow(() => assertValidEvent(event("user.machine.added", { userName: "r", name: "R" })));
  assert.throws(() => assertValidEvent(event("user.machine.added", { userName: "r" })), InvalidEvent);
  assert.throws(() => assertValidEvent(event("user.machine.added", { userName: "r", name: "R", extra: 1 })), InvalidEvent);
  assert.throws(() => assertValidEvent(event("user.machine.changed", {})), InvalidEvent);
  assert.throws(() => assertValidEvent(event("no.such.event", {})), InvalidEvent);
  assert.throws(() => assertValidEvent(event("user.machine.added", { userName: "r", name: "R" }, 2)), InvalidEvent);
});

it("will not take a plaintext where a hash belongs", () => {
  assert.throws(() => assertValidEvent(event("user.machine.secret.set", { hashedSecret: "plaintext-secret" })), InvalidEvent);
  assert.throws(() => assertValidEvent(event("user.human.added", { userName: "a", firstName: "A", lastName: "B", email: "a@b.c", encodedHash: "Password1!" })), InvalidEvent);
});
