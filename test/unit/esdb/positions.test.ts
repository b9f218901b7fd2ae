import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedEvent } from "../../../src/events/envelope.js";
import { newEvent } from "../../contract/eventStore.js";
import { collect, setup } from "./helpers.js";

// Positions that clients send (SSE `from`, Last-Event-ID, ListEvents `sequence`) are any numbers;
// in EventStoreDB they are byte offsets, readable only where a record starts.
const oddPositions = (events: readonly RecordedEvent[]) => {
  const [first, second, third] = events.map((event) => event.position) as [bigint, bigint, bigint];
  return [-5n, 0n, 1n, first - 1n, first, first + 1n, second + 7n, third - 1n, third, third + 1n, third + 10_000n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n + 7n];
};

async function threeEvents(store: ReturnType<typeof setup>["store"]) {
  const { events } = await store.append("user-1", [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });
  return events;
}

describe("eventstoredb positions from clients", () => {
  it("readAll forwards from any number gives the events after it", async () => {
    const { store } = setup({ chunkSize: 4096n }, { chunkSize: 4096n });
    await store.append("user-0", Array.from({ length: 40 }, () => newEvent()), { expectedRevision: "no_stream" });
    const events = await threeEvents(store);
    const all = await collect(store.readAll());
    for (const from of oddPositions(events)) {
      assert.deepEqual(await collect(store.readAll({ from })), all.filter((event) => event.position > from), `from ${from}`);
      assert.deepEqual(await collect(store.readAll({ from, maxCount: 1 })), all.filter((event) => event.position > from).slice(0, 1), `from ${from}, one`);
    }
  });

  it("readAll backwards from any number gives the events before it", async () => {
    const { store } = setup({ chunkSize: 4096n }, { chunkSize: 4096n });
    await store.append("user-0", Array.from({ length: 40 }, () => newEvent()), { expectedRevision: "no_stream" });
    const events = await threeEvents(store);
    const newestFirst = (await collect(store.readAll())).reverse();
    for (const from of oddPositions(events)) {
      assert.deepEqual(await collect(store.readAll({ from, direction: "backwards" })), newestFirst.filter((event) => event.position < from), `before ${from}`);
    }
  });

  it("subscribe from any number delivers the events after it, then the live ones", async () => {
    const { store } = setup();
    const events = await threeEvents(store);
    for (const from of oddPositions(events)) {
      const caughtUp = (await collect(store.readAll())).filter((event) => event.position > from);
      const subscription = store.subscribe({ from });
      const iterator = subscription[Symbol.asyncIterator]();
      const seen = [];
      for (const _ of caughtUp) seen.push((await iterator.next()).value);
      assert.deepEqual(seen, caughtUp, `from ${from}`);
      if (from < 2n ** 62n) {
        // live events at or before `from` are skipped, the first one after it is delivered
        const pending = iterator.next();
        let live: RecordedEvent[] = [];
        for (let i = 0; !live.some((event) => event.position > from); i++) {
          assert.ok(i < 100, "the log never passed `from`");
          live = [...live, ...(await store.append(`live-${from}-${i}`, [newEvent()], { expectedRevision: "no_stream" })).events];
        }
        assert.deepEqual((await pending).value, live.find((event) => event.position > from), `live after ${from}`);
      }
      await subscription.close();
    }
  });

  it("a position inside a record is resolved from its chunk's start, or from the log's start when the chunks are not the size expected", async () => {
    for (const chunkSize of [4096n, 3001n]) {
      const { store } = setup({ chunkSize }, { chunkSize: 4096n });
      await store.append("user-0", Array.from({ length: 60 }, () => newEvent()), { expectedRevision: "no_stream" });
      const all = await collect(store.readAll());
      const middle = all[45]!.position + 3n;
      assert.deepEqual(await collect(store.readAll({ from: middle })), all.slice(46), `chunks of ${chunkSize}`);
    }
  });
});
