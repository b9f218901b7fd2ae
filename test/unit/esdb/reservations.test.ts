import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { AccessDeniedError, DeadlineExceededError, NO_STREAM } from "@eventstore/db-client";
import { EventStoreRefused, EventStoreUnavailable, UniqueConstraintViolation, WrongExpectedRevision } from "../../../src/events/errors.js";
import { RELEASED, RESERVED, reservationStream } from "../../../src/events/esdb/reservations.js";
import { newEvent } from "../../contract/eventStore.js";
import { collect, removal, reserved, setup, unique } from "./helpers.js";
import { serverErrors } from "./serverErrors.js";

describe("eventstoredb reservations of unique values", () => {
  it("reserves a value in a stream of the non-`$` category `unique`, named by its hash, recording the owner", async () => {
    const { client, store } = setup();
    const taken = unique("alice");
    const event = newEvent();
    await store.append("user-1", [event], { expectedRevision: "no_stream", uniqueConstraints: [taken] });

    const stream = `unique-usernames-${createHash("sha256").update(taken.value).digest("hex")}`;
    assert.equal(reservationStream(taken), stream);
    const [reservation] = client.stream(stream);
    assert.equal(reservation?.type, RESERVED);
    assert.deepEqual({ ...(reservation?.data as object), reservedAt: undefined }, { owner: "user-1", eventId: event.id, reservedAt: undefined });
  });

  it("works for a user without admin rights on a secure node, given read on `$all`", async () => {
    const { store } = setup({}, { admin: false });
    const value = unique("least-privilege");
    const { events } = await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
    await store.append("user-1", [newEvent()], { expectedRevision: 0, uniqueConstraints: [removal(value)] });
    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    assert.deepEqual((await collect(store.readAll({ maxCount: 1 })))[0], events[0]);

    const denied = setup({}, { admin: false, readAllGranted: false }).store;
    await assert.rejects(collect(denied.readAll()), (error) => error instanceof EventStoreRefused && error.refusal === "access_denied");
  });

  it("gives the value back when the append after the reservation certainly failed: a conflict", async () => {
    const { client, store } = setup();
    const taken = unique("bob");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });

    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] }), WrongExpectedRevision);
    assert.deepEqual(client.stream(reservationStream(taken)).map((event) => event.type), [RESERVED, RELEASED]);
    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] });
  });

  it("gives the value back after the other certain failures: too large, deleted stream, denied, not the leader", async () => {
    const { client, store } = setup();
    const failures: [string, Error][] = [
      ["user-denied", new AccessDeniedError()],
      ["user-deleted", serverErrors.streamDeleted("user-deleted")],
      ["user-large", serverErrors.maxAppendSize(1048576)],
      ["user-follower", serverErrors.notLeader()],
    ];
    for (const [stream, failure] of failures) {
      const value = unique(stream);
      client.intercept = (call) => {
        if (call.method === "appendToStream" && call.stream === stream && call.phase === "before") throw failure;
      };
      await assert.rejects(
        store.append(stream, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }),
        (error) => error instanceof EventStoreRefused || error instanceof EventStoreUnavailable,
      );
      client.intercept = () => {};
      assert.equal(client.stream(reservationStream(value)).at(-1)?.type, RELEASED, stream);
      await store.append("user-next", [newEvent()], { expectedRevision: "any", uniqueConstraints: [value] });
    }
  });

  it("keeps the value when the append was written but its read-back failed: the event stands, nobody else gets the value", async () => {
    const { client, store } = setup();
    const value = unique("readback");
    const event = newEvent();
    let appended = false;
    client.intercept = (call) => {
      if (call.method === "appendToStream" && call.stream === "user-1" && call.phase === "after") appended = true;
      if (appended && call.method === "readStream" && call.stream === "user-1") throw serverErrors.unavailable();
    };
    await assert.rejects(store.append("user-1", [event], { expectedRevision: "no_stream", uniqueConstraints: [value] }), EventStoreUnavailable);
    client.intercept = () => {};

    assert.deepEqual(client.stream("user-1").map(({ id }) => id), [event.id]);
    assert.deepEqual(client.stream(reservationStream(value)).map(({ type }) => type), [RESERVED]);
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
  });

  it("keeps the value when the server's deadline passed but the write happened (or may still happen)", async () => {
    let clock = Date.parse("2024-05-01T10:00:00Z");
    const { client, store } = setup({ now: () => clock });
    const value = unique("deadline");
    client.intercept = (call) => {
      if (call.method === "appendToStream" && call.stream === "user-1" && call.phase === "after") throw new DeadlineExceededError();
    };
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), EventStoreUnavailable);
    client.intercept = () => {};

    clock += 120_000;
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
    assert.equal((await store.readStream("user-1")).length, 1);
  });

  it("a reservation whose append never came (a crash in between) is held while it may be in flight, then free", async () => {
    let clock = Date.parse("2024-05-01T10:00:00Z");
    const { client, store } = setup({ now: () => clock });
    const value = unique("carol");
    // what a taker that died right after reserving leaves behind
    await client.appendToStream(reservationStream(value), [reserved({ owner: "user-dead", eventId: randomUUID(), reservedAt: new Date(clock).toISOString() })], {
      expectedRevision: NO_STREAM,
    });

    clock += 59_000;
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
    clock += 2_000;
    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    assert.deepEqual(await store.readStream("user-dead"), []);
  });

  it("checkUnique judges a value as the append would: held by its owner's event or a reservation that may be in flight, free once given back or abandoned", async () => {
    let clock = Date.parse("2024-05-01T10:00:00Z");
    const { client, store } = setup({ now: () => clock });
    const [landed, inFlight] = [unique("frank"), unique("grace")];
    await store.checkUnique("user-2", [landed]);
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [landed] });
    await client.appendToStream(reservationStream(inFlight), [reserved({ owner: "user-3", eventId: randomUUID(), reservedAt: new Date(clock).toISOString() })], {
      expectedRevision: NO_STREAM,
    });
    const writes = client.stream(reservationStream(landed)).length;

    await assert.rejects(store.checkUnique("user-2", [landed]), UniqueConstraintViolation);
    await assert.rejects(store.checkUnique("user-2", [inFlight]), UniqueConstraintViolation);
    await store.checkUnique("user-1", [landed]);
    await store.checkUnique("user-2", [removal(landed), landed]);
    assert.equal(client.stream(reservationStream(landed)).length, writes, "a check reserves nothing");

    clock += 61_000;
    await store.checkUnique("user-2", [inFlight]);
    await store.append("user-1", [newEvent()], { expectedRevision: 0, uniqueConstraints: [removal(landed)] });
    await store.checkUnique("user-2", [landed]);
  });

  it("recognises its owner's event whatever the case of its id (the server answers in lower case)", async () => {
    let clock = Date.parse("2024-05-01T10:00:00Z");
    const { store } = setup({ now: () => clock });
    const value = unique("upper");
    const events = [{ ...newEvent(), id: randomUUID().toUpperCase() }];
    const original = await store.append("user-1", events, { expectedRevision: "no_stream", uniqueConstraints: [value] });

    assert.deepEqual(await store.append("user-1", events, { expectedRevision: "no_stream", uniqueConstraints: [value] }), original);
    clock += 120_000;
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
  });

  it("a value whose release was decided but never written (a crash after the append) is free", async () => {
    const { client, store } = setup();
    const value = unique("dave");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    client.intercept = (call) => {
      if (call.method === "appendToStream" && call.stream?.startsWith("unique-") && call.phase === "before") throw serverErrors.unavailable();
    };
    await store.append("user-1", [newEvent("user.removed")], { expectedRevision: 0, uniqueConstraints: [removal(value)] });
    client.intercept = () => {};
    assert.deepEqual(client.stream(reservationStream(value)).map((event) => event.type), [RESERVED], "the release did not land");

    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    await assert.rejects(store.append("user-3", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
  });

  it("judges the owner's later events by their net effect: 'remove x, add x' in one append keeps x", async () => {
    const { store } = setup();
    const value = unique("rename-to-self");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    await store.append("user-1", [newEvent("user.changed")], { expectedRevision: 0, uniqueConstraints: [removal(value), value] });

    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
    await store.append("user-1", [newEvent("user.removed")], { expectedRevision: 1, uniqueConstraints: [removal(value)] });
    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
  });

  it("the append after reserving carries what is left of the deadline, and none left gives the values back", async () => {
    let clock = 0;
    const { client, store } = setup({ now: () => clock });
    const value = unique("erin");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    const appendDeadline = client.deadlines.find((call) => call.stream === "user-1")?.deadline;
    assert.ok(appendDeadline !== undefined && appendDeadline <= 1000);

    const slow = unique("frank");
    client.intercept = (call) => {
      if (call.method === "appendToStream" && call.stream?.startsWith("unique-") && call.phase === "after") clock += 1500;
    };
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [slow] }), EventStoreUnavailable);
    assert.deepEqual(await store.readStream("user-2"), []);
    assert.equal(client.stream(reservationStream(slow)).at(-1)?.type, RELEASED);
  });

  it("a retry of an append with unique values returns the original result without reserving again", async () => {
    const { client, store } = setup();
    const value = unique("gina");
    const events = [newEvent()];
    const original = await store.append("user-1", events, { expectedRevision: "no_stream", uniqueConstraints: [value] });
    const reservations = client.stream(reservationStream(value)).length;

    assert.deepEqual(await store.append("user-1", events, { expectedRevision: "no_stream", uniqueConstraints: [value] }), original);
    assert.equal(client.stream(reservationStream(value)).length, reservations);
  });
});
