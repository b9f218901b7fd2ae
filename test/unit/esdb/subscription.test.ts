import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedEvent } from "../../../src/events/envelope.js";
import { EventStoreUnavailable } from "../../../src/events/errors.js";
import type { EventStore } from "../../../src/events/eventStore.js";
import { newEvent } from "../../contract/eventStore.js";
import { collect, setup, settle } from "./helpers.js";

/** Follows the log as a follower should: on EventStoreUnavailable, resubscribe from the last position seen. */
async function followWithRetry(store: EventStore, count: number, onDrop: () => void): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  for (let attempts = 0; seen.length < count && attempts < 10; attempts++) {
    const subscription = store.subscribe({ from: seen.at(-1)?.position ?? 0n });
    try {
      for await (const event of subscription) {
        seen.push(event);
        if (seen.length === count) break;
      }
    } catch (error) {
      assert.ok(error instanceof EventStoreUnavailable, String(error));
      onDrop();
    } finally {
      await subscription.close();
    }
  }
  return seen;
}

describe("eventstoredb subscriptions", () => {
  it("a subscription the server drops ends with EventStoreUnavailable", async () => {
    const { client, store } = setup();
    const iterating = collect(store.subscribe(), 2);
    await settle();
    client.lastSubscription?.fail();
    await assert.rejects(iterating, EventStoreUnavailable);
  });

  it("a subscription the server ends with an OK status (a node shutting down) ends with EventStoreUnavailable, not silently", async () => {
    const { client, store } = setup();
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    const iterating = collect(store.subscribe(), 2);
    await settle();
    client.restart({ subscriptions: "end" });
    await assert.rejects(iterating, EventStoreUnavailable);
  });

  it("after a restart in the middle, resubscribing from the last position seen misses nothing and repeats nothing", async () => {
    const { client, store } = setup();
    const { events: before } = await store.append("user-1", [newEvent(), newEvent()], { expectedRevision: "no_stream" });
    let drops = 0;
    const following = followWithRetry(store, 5, () => drops++);
    await settle();
    client.restart();
    const { events: after } = await store.append("user-1", [newEvent(), newEvent(), newEvent()], { expectedRevision: 1 });
    assert.deepEqual(await following, [...before, ...after]);
    assert.equal(drops, 1);
  });

  it("a server before 24.2 drops a live subscriber 32 events behind; resubscribing from its checkpoint catches up exactly once", async () => {
    const { store } = setup({}, { dropsSlowSubscribers: true });
    const subscription = store.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    await settle();
    const appended = (await store.append("user-0", [newEvent()], { expectedRevision: "no_stream" })).events.slice();
    const seen = [(await first).value as RecordedEvent];
    // the subscriber takes nothing while 39 more are appended
    for (let i = 1; i < 40; i++) appended.push(...(await store.append(`user-${i}`, [newEvent()], { expectedRevision: "no_stream" })).events);
    await assert.rejects(
      (async () => {
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          seen.push(next.value);
        }
      })(),
      EventStoreUnavailable,
    );
    await subscription.close();
    assert.ok(seen.length < appended.length, "the subscriber was dropped before it had everything");

    const rest = await collect(store.subscribe({ from: seen.at(-1)!.position }), appended.length - seen.length);
    assert.deepEqual([...seen, ...rest], appended);
  });

  it("closing a subscription that is still finding where to start ends it", async () => {
    const { store } = setup();
    const { events } = await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    const subscription = store.subscribe({ from: events[0]!.position + 1n });
    const iterating = collect(subscription);
    await subscription.close();
    assert.deepEqual(await iterating, []);
  });
});
