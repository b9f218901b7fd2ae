import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { DeadlineExceededError, WrongExpectedVersionError, NO_STREAM } from "@eventstore/db-client";
import type { RecordedEvent } from "../../../src/events/envelope.js";
import { EventStoreUnavailable, UniqueConstraintViolation, WrongExpectedRevision } from "../../../src/events/errors.js";
import { toStoreError } from "../../../src/events/esdb/driverErrors.js";
import { createEsdbEventStore } from "../../../src/events/esdb/esdbEventStore.js";
import { RELEASED, RESERVED, reservationStream } from "../../../src/events/esdb/reservations.js";
import type { UniqueConstraint } from "../../../src/events/eventStore.js";
import { newEvent, testEventStore } from "../../contract/eventStore.js";
import { FakeEsdbClient } from "./fakeClient.js";

// The whole contract, against the adapter on the stand-in, with pages small enough to turn.
testEventStore("eventstoredb adapter, in-memory client", async () => {
  const store = createEsdbEventStore({ client: new FakeEsdbClient(), pageSize: 3 });
  return { store, cleanup: () => store.close() };
});

function setup(options: { now?: () => number } = {}) {
  const client = new FakeEsdbClient();
  const store = createEsdbEventStore({ client, pageSize: 3, appendDeadlineMs: 1000, abandonAfterMs: 60_000, ...options });
  return { client, store };
}

describe("eventstoredb adapter", () => {
  it("keeps the envelope's metadata in the event's metadata and its data in the data", async () => {
    const { client, store } = setup();
    const event = newEvent();
    await store.append("user-1", [event], { expectedRevision: "no_stream" });

    const [stored] = client.stream("user-1");
    assert.equal(stored?.id, event.id);
    assert.deepEqual(stored?.data, event.data);
    assert.deepEqual(stored?.metadata, event.metadata);
  });

  it("positions are commit positions, and readAll is exclusive of `from` though the server's read is not", async () => {
    const { client, store } = setup();
    const { events } = await store.append("user-1", [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });

    assert.deepEqual(
      events.map((event) => event.position),
      client.stream("user-1").map((event) => event.position.commit),
    );
    assert.deepEqual(await collect(store.readAll({ from: events[0]!.position })), events.slice(1));
    assert.deepEqual(await collect(store.subscribe({ from: events[1]!.position }), 1), events.slice(2));
  });

  it("never serves the server's `$` events nor the reservations, in readAll, subscribe or headPosition", async () => {
    const { client, store } = setup();
    const { events } = await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [unique("alice")] });
    for (let i = 0; i < 7; i++) {
      await client.appendToStream(`$stats-${i}`, [{ id: randomUUID(), contentType: "application/json", type: "$statsCollected", data: {}, metadata: {} }], {
        expectedRevision: NO_STREAM,
      });
    }
    await client.appendToStream("user-2", [{ id: randomUUID(), contentType: "application/json", type: "$>", data: "0@user-1", metadata: {} }], {
      expectedRevision: NO_STREAM,
    });

    assert.ok(client.log.some((event) => event.streamId.startsWith("$unique-")));
    assert.deepEqual(await collect(store.readAll()), events);
    assert.deepEqual(await collect(store.subscribe(), 1), events);
    assert.equal(await store.headPosition(), events[0]!.position, "the tail of `$` events is longer than a page");
  });

  it("an empty log (only the server's own events) has head position 0n", async () => {
    const { store } = setup();
    assert.equal(await store.headPosition(), 0n);
    assert.deepEqual(await collect(store.readAll()), []);
  });

  it("maps the driver's errors: conflicts to WrongExpectedRevision, an unreachable server to EventStoreUnavailable", () => {
    const conflict = toStoreError(new WrongExpectedVersionError(undefined, { streamName: "s", expected: NO_STREAM, current: 4n }), "s", "no_stream");
    assert.ok(conflict instanceof WrongExpectedRevision);
    assert.deepEqual([conflict.stream, conflict.expected, conflict.actual], ["s", "no_stream", 4]);
    const missing = toStoreError(new WrongExpectedVersionError(undefined, { streamName: "s", expected: 2n, current: NO_STREAM }), "s", 2);
    assert.ok(missing instanceof WrongExpectedRevision && missing.actual === "no_stream");

    assert.ok(toStoreError(new DeadlineExceededError()) instanceof EventStoreUnavailable);
    assert.ok(toStoreError(new Error("Failed to discover after 10 attempts.")) instanceof EventStoreUnavailable);
    const bug = new TypeError("not a connection problem");
    assert.equal(toStoreError(bug), bug);
  });

  it("a server out of reach is EventStoreUnavailable on every call, and the store works again when it is back", async () => {
    const { client, store } = setup();
    client.unavailable = true;
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), EventStoreUnavailable);
    await assert.rejects(store.readStream("user-1"), EventStoreUnavailable);
    await assert.rejects(collect(store.readAll()), EventStoreUnavailable);
    await assert.rejects(store.headPosition(), EventStoreUnavailable);

    client.unavailable = false;
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
  });

  it("a subscription the server drops ends with EventStoreUnavailable", async () => {
    const { client, store } = setup();
    const subscription = store.subscribe();
    const iterating = collect(subscription, 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    client.lastSubscription?.drop();
    await assert.rejects(iterating, EventStoreUnavailable);
  });

  it("reserves a unique value in a `$unique-` stream named by its hash, recording the owner", async () => {
    const { client, store } = setup();
    const taken = unique("alice");
    const event = newEvent();
    await store.append("user-1", [event], { expectedRevision: "no_stream", uniqueConstraints: [taken] });

    const stream = `$unique-usernames-${createHash("sha256").update(taken.value).digest("hex")}`;
    assert.equal(reservationStream(taken), stream);
    const [reservation] = client.stream(stream);
    assert.equal(reservation?.type, RESERVED);
    assert.deepEqual({ ...(reservation?.data as object), reservedAt: undefined }, { owner: "user-1", eventId: event.id, reservedAt: undefined });
  });

  it("gives the value back when the append after the reservation fails", async () => {
    const { client, store } = setup();
    const taken = unique("bob");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });

    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] }), WrongExpectedRevision);
    assert.deepEqual(client.stream(reservationStream(taken)).map((event) => event.type), [RESERVED, RELEASED]);
    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] });
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

  it("a value whose release was decided but never written (a crash after the append) is free", async () => {
    const { client, store } = setup();
    const value = unique("dave");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    client.failAppendsTo = /^\$unique-/;
    await store.append("user-1", [newEvent("user.removed")], { expectedRevision: 0, uniqueConstraints: [{ ...value, action: "remove" }] });
    client.failAppendsTo = undefined;
    assert.deepEqual(client.stream(reservationStream(value)).map((event) => event.type), [RESERVED], "the release did not land");

    await store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    await assert.rejects(store.append("user-3", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
  });

  it("the append after reserving carries what is left of the deadline, and none left gives the values back", async () => {
    let clock = 0;
    const { client, store } = setup({ now: () => clock });
    const value = unique("erin");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    const appendDeadline = client.deadlines.find((call) => call.stream === "user-1")?.deadline;
    assert.ok(appendDeadline !== undefined && appendDeadline <= 1000);

    const slow = unique("frank");
    client.beforeAppend = (stream) => {
      if (stream.startsWith("$unique-")) clock += 1500;
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

function reserved(data: { owner: string; eventId: string; reservedAt: string }) {
  return { id: randomUUID(), contentType: "application/json" as const, type: RESERVED, data, metadata: {} };
}

function unique(label: string): UniqueConstraint {
  return { action: "add", name: "usernames", value: `${label}-${randomUUID()}` };
}


/** Reads `count` events (or, without a count, until the iterable ends), then closes a subscription. */
async function collect(events: AsyncIterable<RecordedEvent> & { close?: () => Promise<void> }, count?: number): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      if (seen.length === count) break;
    }
  } finally {
    await events.close?.();
  }
  return seen;
}
