import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { AccessDeniedError, DeadlineExceededError, NO_STREAM, UnknownError, WrongExpectedVersionError } from "@eventstore/db-client";
import { toWireError } from "../../../src/api/errorBody.js";
import { EventStoreRefused, EventStoreUnavailable, WrongExpectedRevision } from "../../../src/events/errors.js";
import { toStoreError } from "../../../src/events/esdb/driverErrors.js";
import { createEsdbEventStore } from "../../../src/events/esdb/esdbEventStore.js";
import { newEvent, testEventStore } from "../../contract/eventStore.js";
import { FakeEsdbClient } from "./fakeClient.js";
import { collect, setup, unique } from "./helpers.js";
import { serverErrors } from "./serverErrors.js";

// The whole contract, against the adapter on the fake server, with pages small enough to turn
// and chunks small enough that positions fall in several.
testEventStore("eventstoredb adapter, fake server", async () => {
  const store = createEsdbEventStore({ client: new FakeEsdbClient({ chunkSize: 4096n }), pageSize: 3, chunkSize: 4096n });
  return { store, cleanup: () => store.close() };
});

/** A raw gRPC error, as grpc-js rejects a call the client does not wrap (its feature probe, say). */
function grpcError(code: number, details: string): Error {
  const names: Record<number, string> = { 4: "DEADLINE_EXCEEDED", 7: "PERMISSION_DENIED", 13: "INTERNAL", 14: "UNAVAILABLE", 16: "UNAUTHENTICATED" };
  return Object.assign(new Error(`${code} ${names[code]}: ${details}`), { code, details, metadata: { getMap: () => ({}) } });
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

    assert.ok(client.log.some((event) => event.streamId.startsWith("unique-")));
    assert.deepEqual(await collect(store.readAll()), events);
    assert.deepEqual(await collect(store.readAll({ direction: "backwards" })), events);
    assert.deepEqual(await collect(store.subscribe(), 1), events);
    assert.equal(await store.headPosition(), events[0]!.position, "the tail of `$` events is longer than a page");
  });

  it("an empty log (only the server's own events) has head position 0n", async () => {
    const { store } = setup();
    assert.equal(await store.headPosition(), 0n);
    assert.deepEqual(await collect(store.readAll()), []);
  });

  it("maps the driver's errors: conflicts, refusals, and outages however they surface", () => {
    const conflict = toStoreError(new WrongExpectedVersionError(undefined, { streamName: "s", expected: NO_STREAM, current: 4n }), "s", "no_stream");
    assert.ok(conflict instanceof WrongExpectedRevision);
    assert.deepEqual([conflict.stream, conflict.expected, conflict.actual], ["s", "no_stream", 4]);
    const missing = toStoreError(new WrongExpectedVersionError(undefined, { streamName: "s", expected: 2n, current: NO_STREAM }), "s", 2);
    assert.ok(missing instanceof WrongExpectedRevision && missing.actual === "no_stream");

    const outages: [string, unknown][] = [
      ["DEADLINE_EXCEEDED from the client", new DeadlineExceededError()],
      ["cluster discovery", new Error("Failed to discover after 10 attempts.")],
      ["the feature probe, raw UNAVAILABLE", grpcError(14, "No connection established")],
      ["name resolution", grpcError(14, "Name resolution failed for target dns:eventstore:2113")],
      ["a raw deadline", grpcError(4, "Deadline exceeded")],
      ["a stream reset by a restarting node", grpcError(13, "Received RST_STREAM with code 2 (Internal server error)")],
      ["BatchAppend during an election", new UnknownError(undefined, "Could not recognize Server Is Not Ready")],
      ["BatchAppend under load", new UnknownError(undefined, "Could not recognize Server Is Busy")],
      ["no leader yet", new UnknownError(undefined, "Could not recognize No leader info available in response")],
      ["a read on a starting node", serverErrors.unavailable("Server Is Not Ready")],
      ["a follower", serverErrors.notLeader()],
      ["a slow subscriber before 24.2", serverErrors.consumerTooSlow()],
    ];
    for (const [what, error] of outages) assert.ok(toStoreError(error) instanceof EventStoreUnavailable, what);

    const refusals: [string, unknown, EventStoreRefused["refusal"]][] = [
      ["access denied", new AccessDeniedError(), "access_denied"],
      ["bad credentials, raw", grpcError(16, "Bad authentication"), "access_denied"],
      ["a tombstoned stream", serverErrors.streamDeleted("user-1"), "stream_deleted"],
      ["over MaxAppendSize", serverErrors.maxAppendSize(1048576), "too_large"],
      ["over MaxAppendEventSize (BatchAppend)", new UnknownError(undefined, "Could not recognize MaximumAppendEventSizeExceeded"), "too_large"],
    ];
    for (const [what, error, refusal] of refusals) {
      const refused = toStoreError(error);
      assert.ok(refused instanceof EventStoreRefused && refused.refusal === refusal, what);
    }

    const bug = new TypeError("not a connection problem");
    assert.equal(toStoreError(bug), bug);
  });

  it("answers outages with 503 code 14 and refusals with their own ZITADEL error bodies", () => {
    const wire = (error: unknown) => {
      const { code, httpStatus, detail } = toWireError(toStoreError(error));
      return { code, httpStatus, id: detail?.id };
    };
    assert.deepEqual(wire(new UnknownError(undefined, "Could not recognize Server Is Not Ready")), { code: 14, httpStatus: 503, id: "API-mU8fR" });
    assert.deepEqual(wire(new AccessDeniedError()), { code: 13, httpStatus: 500, id: "API-eSd4c" });
    assert.deepEqual(wire(serverErrors.streamDeleted("user-1")), { code: 9, httpStatus: 400, id: "API-sTd3l" });
    assert.deepEqual(wire(serverErrors.maxAppendSize(1048576)), { code: 3, httpStatus: 400, id: "API-eTl2g" });
  });

  it("a server out of reach is EventStoreUnavailable on every call, and the store works again when it is back", async () => {
    const { client, store } = setup();
    client.unavailable = true;
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), EventStoreUnavailable);
    await assert.rejects(store.readStream("user-1"), EventStoreUnavailable);
    await assert.rejects(collect(store.readAll()), EventStoreUnavailable);
    await assert.rejects(collect(store.readAll({ from: 5n, direction: "backwards" })), EventStoreUnavailable);
    await assert.rejects(store.headPosition(), EventStoreUnavailable);
    await assert.rejects(collect(store.subscribe({ from: 5n })), EventStoreUnavailable);

    client.unavailable = false;
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
  });

  it("every call asks for the leader: a node demoted by an election answers nothing stale", async () => {
    const { client, store } = setup();
    const value = unique("leader");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
    client.demote();

    await assert.rejects(store.readStream("user-1"), EventStoreUnavailable);
    await assert.rejects(collect(store.readAll()), EventStoreUnavailable);
    await assert.rejects(store.headPosition(), EventStoreUnavailable);
    await assert.rejects(store.append("user-2", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), EventStoreUnavailable);
    await assert.rejects(store.append("user-3", [newEvent()], { expectedRevision: "no_stream" }), EventStoreUnavailable);
    await assert.rejects(collect(store.subscribe()), EventStoreUnavailable);
  });

  it("a stream an operator tombstoned is refused as deleted, for reads and appends, instead of reading as empty", async () => {
    const { client, store } = setup();
    const { events } = await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    client.tombstone("user-1");

    const deleted = (error: unknown) => error instanceof EventStoreRefused && error.refusal === "stream_deleted";
    await assert.rejects(store.readStream("user-1"), deleted);
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), deleted);
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: 0, uniqueConstraints: [unique("tomb")] }), deleted);
    assert.deepEqual(await collect(store.readAll()), events, "`$all` keeps the stream's events until a scavenge, and the tombstone is a `$` event");
  });

  it("an append over the server's maximum (1 MiB: data, metadata and type) is refused as too large and writes nothing", async () => {
    const { store } = setup();
    const big = [newEvent("user.machine.added", { blob: "x".repeat(600 * 1024) }), newEvent("user.machine.added", { blob: "y".repeat(500 * 1024) })];
    await assert.rejects(
      store.append("user-1", big, { expectedRevision: "no_stream" }),
      (error) => error instanceof EventStoreRefused && error.refusal === "too_large",
    );
    assert.deepEqual(await store.readStream("user-1"), []);
    await store.append("user-1", big.slice(0, 1), { expectedRevision: "no_stream" });
  });

  it("a client with throwOnAppendFailure=false: a conflict is still a conflict, with the actual revision", async () => {
    const { store } = setup({}, { throwOnAppendFailure: false });
    await store.append("user-1", [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: 0 }), (error) => {
      assert.ok(error instanceof WrongExpectedRevision);
      assert.deepEqual([error.expected, error.actual], [0, 2]);
      return true;
    });
    assert.equal((await store.readStream("user-1")).length, 3);

    // two takers that both found the value free race for its reservation: one loses
    const value = unique("quiet");
    const outcomes = await Promise.allSettled(
      ["user-2", "user-3"].map((stream) => store.append(stream, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] })),
    );
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ["fulfilled", "rejected"]);
  });

  it("servers before 22.6 (no positions in stream reads) are refused with a clear message", async () => {
    const { store } = setup({}, { positionsInStreamReads: false });
    await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), /22\.6 or later/);
  });

  it("event ids travel as EventStoreDB keeps them: lower case, and only UUIDs", async () => {
    const { store } = setup();
    const event = { ...newEvent(), id: randomUUID().toUpperCase() };
    const { events } = await store.append("user-1", [event], { expectedRevision: "no_stream" });
    assert.equal(events[0]?.id, event.id.toLowerCase());
    assert.deepEqual(await store.append("user-1", [event], { expectedRevision: "no_stream" }), { events, nextExpectedRevision: 0 });
    await assert.rejects(store.append("user-2", [{ ...newEvent(), id: "not-a-uuid" }], { expectedRevision: "no_stream" }), /not a UUID/);
  });

  it("idempotency is the server's: exact and no_stream retries return the original however the stream grew; `any` only while the leader remembers", async () => {
    const { client, store } = setup();
    const events = [newEvent(), newEvent()];
    const original = await store.append("user-1", events, { expectedRevision: "no_stream" });
    await store.append("user-1", [newEvent()], { expectedRevision: 1 });
    const third = [newEvent()];
    const appended = await store.append("user-1", third, { expectedRevision: 2 });
    await store.append("user-1", [newEvent()], { expectedRevision: 3 });

    assert.deepEqual(await store.append("user-1", events, { expectedRevision: "no_stream" }), original);
    assert.deepEqual(await store.append("user-1", third, { expectedRevision: 2 }), appended);
    assert.deepEqual(await store.append("user-1", third, { expectedRevision: "any" }), appended);
    client.restart();
    const again = await store.append("user-1", third, { expectedRevision: "any" });
    assert.equal(again.nextExpectedRevision, 5, "after a restart the leader has forgotten the ids: `any` writes them again");
  });
});
