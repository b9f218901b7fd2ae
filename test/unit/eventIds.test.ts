import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEventIds, newEventId } from "../../src/events/eventIds.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("event ids (UUIDv7)", () => {
  it("are RFC 9562 version 7, variant 10, with the time in their first 48 bits", () => {
    const at = Date.UTC(2026, 11, 3, 8, 0, 0, 123);
    const id = createEventIds(() => at)();
    assert.match(id, UUID_V7);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  });

  it("sort in the order of their milliseconds", () => {
    let clock = Date.UTC(2026, 0, 1);
    const ids = createEventIds(() => (clock += 1));
    const made = Array.from({ length: 1000 }, () => ids());
    assert.deepEqual([...made].sort(), made);
  });

  it("differ within one millisecond, their random bits each used once", () => {
    const ids = createEventIds(() => 1_700_000_000_000);
    const made = new Set(Array.from({ length: 50_000 }, () => ids()));
    assert.equal(made.size, 50_000);
    // 74 random bits per id: every hex digit of the random part takes every value.
    const randomDigits = [...made].map((id) => id.slice(15, 18) + id.slice(20, 23) + id.slice(24)).join("");
    assert.equal(new Set(randomDigits).size, 16);
  });

  it("take their random bits from the pool in order, one 10-byte share each", () => {
    let fills = 0;
    const ids = createEventIds(
      () => 0,
      (buffer) => {
        fills++;
        return buffer.fill(fills);
      },
    );
    const first = ids();
    assert.equal(first, "00000000-0000-7010-9010-101010101010");
    for (let i = 1; i < 409; i++) ids();
    assert.equal(fills, 1, "409 ids of 10 bytes fit a 4 KB pool");
    ids();
    assert.equal(fills, 2);
  });

  it("are what the process's generator makes", () => {
    assert.match(newEventId(), UUID_V7);
  });
});
