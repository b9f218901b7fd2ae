import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { RecordedEvent } from "../../src/events/envelope.js";
import type { Subscription } from "../../src/events/eventStore.js";
import { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "./eventStore.js";

/** Takes every event of a subscription into `events` and its position into `positions`, optionally pausing after each one. */
function consume(subscription: Subscription, pause?: () => Promise<unknown>) {
  const positions: bigint[] = [];
  const events: RecordedEvent[] = [];
  const done = (async () => {
    for await (const event of subscription) {
      positions.push(event.position);
      events.push(event);
      if (pause) await pause();
    }
  })();
  return { positions, events, done };
}

/** Waits (a bounded number of turns, never a fixed time) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 20_000) assert.fail(`gave up waiting until ${what}`);
    await (turn < 1000 ? nextTurn() : sleep(1));
  }
}

const range = (from: bigint, to: bigint) => Array.from({ length: Number(to - from) }, (_, i) => from + BigInt(i) + 1n);

describe("sqlite subscriptions share the live tail", () => {
  let dir = "";
  const stores: SqliteEventStore[] = [];
  const open = (options: Partial<SqliteEventStoreOptions> = {}) => {
    const store = createSqliteEventStore({ path: join(dir, `${randomUUID()}.db`), ...options });
    stores.push(store);
    return store;
  };
  before(async () => (dir = await mkdtemp(join(tmpdir(), "idledger-tail-"))));
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Two stores on one file (as two processes), one event in it, and a subscription here that has caught up with it. */
  const twoProcesses = async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const here = open({ path });
    const elsewhere = open({ path });
    await here.append("user-0", [newEvent()], { expectedRevision: "no_stream" });
    const follower = consume(here.subscribe());
    await until(() => here.subscriptionStats().followers === 1, "the subscription has caught up");
    return { here, elsewhere, follower };
  };

  it("deliver what another process appended to the same file once a reader here asks for the head", async () => {
    const { here, elsewhere, follower } = await twoProcesses();

    await elsewhere.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    for (let turn = 0; turn < 100; turn++) await nextTurn();
    assert.deepEqual(follower.positions, [1n], "nothing here announced the other process's append");
    assert.equal(await here.headPosition(), 2n);
    await until(() => follower.positions.length === 2, "the head seen here woke the tail");
    assert.deepEqual(follower.positions, [1n, 2n]);
  });

  it("hand this instance's commits to every subscription idle at the head as they were written, without reading them back", async () => {
    const store = open();
    await store.append("user-0", [newEvent(), newEvent()], { expectedRevision: "no_stream" });
    const followers = Array.from({ length: 200 }, () => consume(store.subscribe()));
    await until(() => store.subscriptionStats().followers === 200, "every subscription has caught up");
    const before = store.subscriptionStats();

    const appended = [];
    for (let i = 1; i <= 20; i++) appended.push(await store.append(`user-${i}`, [newEvent(), newEvent()], { expectedRevision: "no_stream" }));
    const head = await store.headPosition();
    await until(() => followers.every(({ positions }) => positions.at(-1) === head), "every subscription has every event");

    const after = store.subscriptionStats();
    assert.equal(after.committedDeliveries - before.committedDeliveries, 20, "one delivery per commit");
    assert.equal(after.tailReads, before.tailReads, "the tail read back what this instance wrote");
    assert.equal(after.pageReads, before.pageReads, "a caught-up subscription read a page of its own");
    // What they got is what a read of the log gives, and none of it is the appender's own objects.
    const read: RecordedEvent[] = [];
    for await (const event of store.readAll()) read.push(event);
    for (const { events } of followers) assert.deepEqual(events, read);
    const delivered = followers[0]!.events.at(-1)!;
    const own = appended.at(-1)!.events.at(-1)!;
    assert.equal(delivered.id, own.id);
    assert.notEqual(delivered.data, own.data);
    assert.notEqual(delivered.metadata, own.metadata);
  });

  it("read the log when another process's append came between the tail and this instance's commit", async () => {
    const { here, elsewhere, follower } = await twoProcesses();
    const before = here.subscriptionStats();

    // Nothing here asks for the head in between: only the gap before this commit tells.
    await elsewhere.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    await here.append("user-2", [newEvent()], { expectedRevision: "no_stream" });
    await until(() => follower.positions.length === 3, "the subscription has both");
    assert.deepEqual(follower.positions, [1n, 2n, 3n]);
    assert.deepEqual(follower.events.map(({ stream }) => stream), ["user-0", "user-1", "user-2"]);
    assert.equal(here.subscriptionStats().committedDeliveries, before.committedDeliveries, "handed over with a gap before it");
    assert.equal(here.subscriptionStats().tailReads, before.tailReads + 1);
  });

  it("lose and repeat nothing at the seams, with subscriptions joining mid-write and slow ones falling behind", async () => {
    const store = open({ subscriberQueueLimit: 5 });
    const writers = Array.from({ length: 3 }, async (_, writer) => {
      for (let revision = 0; revision < 150; revision++) {
        const events = Array.from({ length: 1 + (revision % 4) }, () => newEvent());
        await store.append(`user-w${writer}`, events, { expectedRevision: revision === 0 ? "no_stream" : "any" });
      }
    });
    const subscribers: { from: bigint; positions: bigint[]; subscription: Subscription }[] = [];
    const joining = (async () => {
      for (let i = 0; i < 40; i++) {
        await sleep(i % 3);
        const from = i % 4 === 0 ? 0n : await store.headPosition();
        const subscription = store.subscribe({ from });
        // Every third one is slow: its queue of 5 overflows and it reads pages again.
        const { positions } = consume(subscription, i % 3 === 0 ? () => sleep(1) : undefined);
        subscribers.push({ from, positions, subscription });
      }
    })();
    await Promise.all([...writers, joining]);

    const head = await store.headPosition();
    await until(() => subscribers.every(({ positions, from }) => positions.at(-1) === head || (from === head && positions.length === 0)), "every subscription reached the head");
    for (const { from, positions } of subscribers) assert.deepEqual(positions, range(from, head), `from ${from}`);
    assert.ok(store.subscriptionStats().pageReads > subscribers.length, "no slow subscription fell back to reading pages");
    await Promise.all(subscribers.map(({ subscription }) => subscription.close()));
  });

  it("give a subscription that starts beyond the head only what follows its start, while the tail serves others from the head", async () => {
    const store = open();
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    const ahead = consume(store.subscribe({ from: 3n }));
    await until(() => store.subscriptionStats().followers === 1, "it has joined the tail");
    const atHead = consume(store.subscribe({ from: 1n }));
    await until(() => store.subscriptionStats().followers === 2, "both have joined the tail");
    for (let revision = 1; revision <= 4; revision++) await store.append("user-1", [newEvent()], { expectedRevision: revision - 1 });
    await until(() => atHead.positions.length === 4 && ahead.positions.length === 2, "both have their events");
    assert.deepEqual(atHead.positions, [2n, 3n, 4n, 5n]);
    assert.deepEqual(ahead.positions, [4n, 5n]);
  });

  it("hold at most the queue limit for a consumer that stopped taking events, then let it read pages", async () => {
    const store = open({ subscriberQueueLimit: 10 });
    const subscription = store.subscribe();
    const events = subscription[Symbol.asyncIterator]();
    const first = events.next();
    await until(() => store.subscriptionStats().followers === 1, "the subscription has caught up");
    await store.append("user-1", [newEvent()], { expectedRevision: "no_stream" });
    assert.equal((await first).value?.position, 1n);

    // The consumer takes nothing more while 50 commits happen: the tail drops it past 10.
    for (let revision = 1; revision <= 50; revision++) await store.append("user-1", [newEvent()], { expectedRevision: revision - 1 });
    await until(() => store.subscriptionStats().followers === 0, "the stalled subscription has left the tail");
    const pagesBefore = store.subscriptionStats().pageReads;

    const rest: bigint[] = [];
    while (rest.length < 50) rest.push((await events.next()).value!.position);
    assert.deepEqual(rest, range(1n, 51n));
    assert.ok(store.subscriptionStats().pageReads > pagesBefore, "it did not read the rest for itself");
    await until(() => store.subscriptionStats().followers === 1, "it has joined the tail again");
    await subscription.close();
  });
});
