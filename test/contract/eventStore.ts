import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import type { NewEvent, RecordedEvent } from "../../src/events/envelope.js";
import { UniqueConstraintViolation, WrongExpectedRevision } from "../../src/events/errors.js";
import type { EventStore, UniqueConstraint } from "../../src/events/eventStore.js";

export interface StoreUnderTest {
  readonly store: EventStore;
  cleanup(): Promise<void>;
}

/**
 * The contract every EventStore adapter passes. When `factory` returns undefined the backend is
 * not reachable: the suite says so on one line and every test is reported as skipped.
 * Tests use fresh stream names and values and look only at their own streams (or at the log
 * before one of their events, which no other writer can change), so the store may be shared
 * with other writers and need not be empty.
 */
export function testEventStore(
  name: string,
  factory: () => Promise<StoreUnderTest | undefined>,
  { skipReason = "backend not reachable" }: { skipReason?: string } = {},
): void {
  describe(`eventStore contract [${name}]`, async () => {
    const backend = await factory();
    if (backend) after(() => backend.cleanup());
    else console.warn(`SKIP eventStore contract [${name}]: ${skipReason}`);

    for (const [title, run] of Object.entries(contract)) {
      if (backend) it(title, { timeout: 10_000 }, () => run(backend.store));
      else it(title, { skip: skipReason }, () => {});
    }
  });
}

const contract: Record<string, (store: EventStore) => Promise<void>> = {
  async "appends and reads back every envelope field"(store) {
    const stream = streamName("roundtrip");
    const events = [
      newEvent("user.machine.added", { userName: "ünïcode ✓", tags: ["a", null], nested: { n: 1.5 } }),
      newEvent("user.machine.changed", { description: "" }),
    ];
    const result = await store.append(stream, events, { expectedRevision: "no_stream" });

    assert.equal(result.nextExpectedRevision, 1);
    result.events.forEach((recorded, i) => {
      const { id, type, data, metadata } = recorded;
      assert.deepEqual({ id, type, data, metadata }, events[i]);
      assert.equal(recorded.stream, stream);
      assert.equal(recorded.revision, i);
      assert.equal(typeof recorded.position, "bigint");
    });
    assert.deepEqual(await store.readStream(stream), result.events);
    assert.deepEqual(await store.readStream(stream, { fromRevision: 1 }), result.events.slice(1));
    assert.deepEqual(await store.readStream(streamName("missing")), []);
  },

  async "revisions are 0-based and contiguous"(store) {
    const stream = streamName("revisions");
    await store.append(stream, [newEvent()], { expectedRevision: "no_stream" });
    await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 0 });
    const { nextExpectedRevision } = await store.append(stream, [newEvent()], { expectedRevision: "any" });

    assert.equal(nextExpectedRevision, 3);
    assert.deepEqual((await store.readStream(stream)).map((event) => event.revision), [0, 1, 2, 3]);
  },

  async "positions increase strictly across streams, in append order"(store) {
    const [a, b, c] = [streamName("a"), streamName("b"), streamName("c")];
    const from = await store.headPosition();
    const appended: RecordedEvent[] = [];
    for (const [stream, expectedRevision] of [[a, "no_stream"], [b, "no_stream"], [a, 0], [c, "any"], [b, 0]] as const) {
      appended.push(...(await store.append(stream, [newEvent()], { expectedRevision })).events);
    }

    assertIncreasing(appended.map((event) => event.position));
    assert.deepEqual(ours(await collect(store.readAll({ from })), a, b, c), appended);
  },

  async "readAll backwards: newest first, before an exclusive bound, paged by maxCount"(store) {
    const stream = streamName("backwards");
    const { events } = await store.append(stream, [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });
    const [first, second, third] = events as [RecordedEvent, RecordedEvent, RecordedEvent];
    // other writers may append after ours (never between the events of one append)
    const newest: RecordedEvent[] = [];
    for await (const event of store.readAll({ direction: "backwards" })) {
      newest.push(event);
      if (event.id === first.id) break;
    }
    assert.deepEqual(ours(newest, stream), [third, second, first]);
    assertIncreasing(newest.map((event) => event.position).reverse());
    assert.deepEqual(await collect(store.readAll({ direction: "backwards", from: third.position, maxCount: 2 })), [second, first]);
    const beforeFirst = await collect(store.readAll({ direction: "backwards", from: first.position, maxCount: 1 }));
    assert.ok(beforeFirst.every((event) => event.position < first.position));
  },

  async "no_stream on an existing stream is a conflict that reports the actual revision"(store) {
    const stream = streamName("no-stream");
    await store.append(stream, [newEvent(), newEvent()], { expectedRevision: "no_stream" });

    await assert.rejects(
      store.append(stream, [newEvent()], { expectedRevision: "no_stream" }),
      conflict(stream, "no_stream", 1),
    );
  },

  async "an exact revision must be the revision of the stream's last event"(store) {
    const stream = streamName("exact");
    await store.append(stream, [newEvent(), newEvent()], { expectedRevision: "no_stream" });

    assert.equal((await store.append(stream, [newEvent()], { expectedRevision: 1 })).nextExpectedRevision, 2);
    await assert.rejects(store.append(stream, [newEvent()], { expectedRevision: 1 }), conflict(stream, 1, 2));
    await assert.rejects(store.append(stream, [newEvent()], { expectedRevision: 5 }), conflict(stream, 5, 2));
    assert.equal((await store.readStream(stream)).length, 3);
  },

  async "an exact revision on a missing stream is a conflict with actual no_stream"(store) {
    const stream = streamName("exact-missing");
    await assert.rejects(store.append(stream, [newEvent()], { expectedRevision: 0 }), conflict(stream, 0, "no_stream"));
    assert.deepEqual(await store.readStream(stream), []);
  },

  async "any appends to a missing stream and to an existing one"(store) {
    const stream = streamName("any");
    await store.append(stream, [newEvent()], { expectedRevision: "any" });
    await store.append(stream, [newEvent()], { expectedRevision: "any" });
    assert.equal((await store.readStream(stream)).length, 2);
  },

  async "an added unique value is taken, whichever stream asks again"(store) {
    const owner = streamName("owner");
    const userName = unique("add", "alice");
    await store.append(owner, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [userName] });

    await assert.rejects(
      store.append(streamName("other"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [userName] }),
      violation(userName),
    );
    await assert.rejects(
      store.append(owner, [newEvent()], { expectedRevision: 0, uniqueConstraints: [userName] }),
      violation(userName),
    );
  },

  async "unique values are compared exactly, within their name"(store) {
    const lower = unique("add", `alice-${randomUUID()}`);
    const upper = { ...lower, value: lower.value.toUpperCase() };
    const otherName = { ...lower, name: "emails" };
    for (const constraint of [lower, upper, otherName]) {
      await store.append(streamName("exact-value"), [newEvent()], {
        expectedRevision: "no_stream",
        uniqueConstraints: [constraint],
      });
    }
  },

  async "a removed unique value can be added again"(store) {
    const [owner, next] = [streamName("owner"), streamName("next")];
    const take = unique("add", "bob");
    const release = { ...take, action: "remove" } as const;
    await store.append(owner, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [take] });
    await store.append(owner, [newEvent("user.removed")], { expectedRevision: 0, uniqueConstraints: [release] });

    await store.append(next, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [take] });
    await assert.rejects(store.append(owner, [newEvent()], { expectedRevision: 1, uniqueConstraints: [take] }), violation(take));
  },

  async "one append may release a value and take it again, or take another"(store) {
    const stream = streamName("rename");
    const old = unique("add", "carol");
    const renamed = unique("add", "caroline");
    await store.append(stream, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [old] });

    await store.append(stream, [newEvent("user.changed")], {
      expectedRevision: 0,
      uniqueConstraints: [{ ...old, action: "remove" }, old, { ...old, action: "remove" }, renamed],
    });
    await store.append(streamName("newcomer"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [old] });
  },

  async "removing a value nobody holds is a violation"(store) {
    const release = unique("remove", "nobody");
    await assert.rejects(
      store.append(streamName("remove"), [newEvent()], { expectedRevision: "any", uniqueConstraints: [release] }),
      violation(release),
    );
  },

  async "a failing constraint writes nothing: no events, no other constraint"(store) {
    const taken = unique("add", "taken");
    const free = unique("add", "free");
    await store.append(streamName("owner"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [taken] });

    const stream = streamName("all-or-nothing");
    await assert.rejects(
      store.append(stream, [newEvent(), newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free, taken] }),
      violation(taken),
    );
    assert.deepEqual(await store.readStream(stream), []);
    await store.append(streamName("later"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free] });
  },

  async "checkUnique refuses an added value another stream holds, until it is given back, and writes nothing"(store) {
    const [owner, other] = [streamName("owner"), streamName("other")];
    const take = unique("add", "erin");
    const release = { ...take, action: "remove" } as const;
    const free = unique("add", "free");
    await store.checkUnique(other, [take]);
    await store.append(owner, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [take] });

    await assert.rejects(store.checkUnique(other, [free, take]), violation(take));
    // The holder's own retry of its append is the append's to answer; a remove before the add gives the value back.
    await store.checkUnique(owner, [take]);
    await store.checkUnique(other, [release, take]);
    // Nothing was written or taken by the checks.
    assert.deepEqual(await store.readStream(other), []);
    await store.append(streamName("later"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free] });

    await store.append(owner, [newEvent("user.removed")], { expectedRevision: 0, uniqueConstraints: [release] });
    await store.checkUnique(other, [take]);
    await store.append(other, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [take] });
    await assert.rejects(store.checkUnique(owner, [take]), violation(take));
  },

  async "readStream reads at most maxCount events, from a revision forwards or from the end backwards"(store) {
    const stream = streamName("bounded");
    const events = Array.from({ length: 5 }, () => newEvent());
    await store.append(stream, events, { expectedRevision: "no_stream" });
    const ids = (read: readonly { id: string }[]) => read.map((event) => event.id);

    assert.deepEqual(ids(await store.readStream(stream, { maxCount: 2 })), ids(events.slice(0, 2)));
    assert.deepEqual(ids(await store.readStream(stream, { fromRevision: 3, maxCount: 5 })), ids(events.slice(3)));
    assert.deepEqual(ids(await store.readStream(stream, { direction: "backwards", maxCount: 2 })), ids(events.slice(3).reverse()));
    assert.deepEqual(ids(await store.readStream(stream, { direction: "backwards" })), ids([...events].reverse()));
    assert.deepEqual(await store.readStream(streamName("missing"), { direction: "backwards", maxCount: 1 }), []);
  },

  async "a revision conflict takes no constraint"(store) {
    const free = unique("add", "still-free");
    await assert.rejects(
      store.append(streamName("conflict"), [newEvent()], { expectedRevision: 3, uniqueConstraints: [free] }),
      WrongExpectedRevision,
    );
    await store.append(streamName("later"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [free] });
  },

  async "appending the same event ids again at the same expected revision returns the original result and writes nothing"(store) {
    const stream = streamName("idempotent");
    const events = [newEvent(), newEvent()];
    const original = await store.append(stream, events, { expectedRevision: "no_stream" });
    assert.deepEqual(await store.append(stream, events, { expectedRevision: "no_stream" }), original);

    const later = [newEvent()];
    const appended = await store.append(stream, later, { expectedRevision: 1 });
    await store.append(stream, [newEvent()], { expectedRevision: 2 });
    assert.deepEqual(await store.append(stream, events, { expectedRevision: "no_stream" }), original, "however the stream grew since");
    assert.deepEqual(await store.append(stream, later, { expectedRevision: 1 }), appended);
    assert.equal((await store.readStream(stream)).length, 4);
  },

  async "readAll reads after `from` (exclusive), at most maxCount events"(store) {
    const stream = streamName("read-all");
    const from = await store.headPosition();
    const { events } = await store.append(stream, [1, 2, 3, 4, 5].map(() => newEvent()), {
      expectedRevision: "no_stream",
    });
    const position = (i: number) => events[i]?.position ?? assert.fail("missing event");

    assert.deepEqual(ours(await collect(store.readAll({ from })), stream), events);
    assert.deepEqual(await collect(store.readAll({ from: position(1), maxCount: 2 })), events.slice(2, 4));
    assert.deepEqual(ours(await collect(store.readAll({ from: position(4) })), stream), []);
    const [oldest] = await collect(store.readAll({ maxCount: 1 }));
    assert.deepEqual(await collect(store.readAll({ from: 0n, maxCount: 1 })), [oldest]);
    assert.ok(oldest && oldest.position <= position(0), "without `from`, readAll starts at the beginning");
  },

  async "headPosition is the position of the last appended event (or of a later one)"(store) {
    const { events } = await store.append(streamName("head"), [newEvent(), newEvent()], { expectedRevision: "no_stream" });
    const head = await store.headPosition();
    assert.ok(head >= events.at(-1)!.position);
    const [atHead] = await collect(store.readAll({ direction: "backwards", from: head + 1n, maxCount: 1 }));
    assert.equal(atHead?.position, head, "the head is an event's position");
  },

  async "subscribe catches up, then follows live appends with no gap and no duplicate"(store) {
    const stream = streamName("subscribe");
    const from = await store.headPosition();
    await store.append(stream, [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });
    const subscription = store.subscribe({ from });
    const events = subscription[Symbol.asyncIterator]();
    const seen = [await next(events, stream)];

    // appends land while the subscription is still catching up, then while it is live
    const writing = (async () => {
      for (let revision = 2; revision < 12; revision++) {
        await store.append(stream, [newEvent()], { expectedRevision: revision });
      }
    })();
    while (seen.length < 13) seen.push(await next(events, stream));
    await writing;

    assert.deepEqual(seen, await store.readStream(stream));
    await subscription.close();
    assert.equal((await events.next()).done, true);
  },

  async "subscribe with a filter hands out only what it accepts, in order, catching up and live"(store) {
    const [kept, skipped] = [streamName("filter-kept"), streamName("filter-skipped")];
    const from = await store.headPosition();
    await store.append(skipped, [newEvent()], { expectedRevision: "no_stream" });
    await store.append(kept, [newEvent()], { expectedRevision: "no_stream" });
    const subscription = store.subscribe({ from, filter: (event) => event.stream === kept });
    const events = subscription[Symbol.asyncIterator]();
    const seen = [(await events.next()).value as RecordedEvent];
    for (let revision = 0; revision < 5; revision++) {
      await store.append(skipped, [newEvent()], { expectedRevision: revision });
      await store.append(kept, [newEvent()], { expectedRevision: revision });
    }
    while (seen.length < 6) seen.push((await events.next()).value as RecordedEvent);
    await subscription.close();
    assert.deepEqual(seen, await store.readStream(kept));
  },

  async "subscribe without `from` starts at the beginning of the log"(store) {
    await store.append(streamName("beginning"), [newEvent()], { expectedRevision: "any" });
    const subscription = store.subscribe();
    const [first] = await collect(store.readAll({ maxCount: 1 }));
    assert.deepEqual(await next(subscription[Symbol.asyncIterator]()), first);
    await subscription.close();
  },

  async "closing a subscription ends an iteration that waits for events"(store) {
    const subscription = store.subscribe({ from: await store.headPosition() });
    const iterating = collect(subscription);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await subscription.close();
    // ends (whatever other writers appended meanwhile)
    await iterating;
  },

  async "one append that removes a value and adds it back keeps it, for later appends too"(store) {
    const owner = streamName("keeps");
    const userName = unique("add", "dana");
    await store.append(owner, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [userName] });
    await store.append(owner, [newEvent("user.changed")], { expectedRevision: 0, uniqueConstraints: [{ ...userName, action: "remove" }, userName] });
    await store.append(owner, [newEvent("user.changed")], { expectedRevision: 1 });

    await assert.rejects(
      store.append(streamName("other"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [userName] }),
      violation(userName),
    );
  },

  async "readAll and subscribe take any position, not only an event's"(store) {
    const stream = streamName("any-position");
    const { events } = await store.append(stream, [newEvent(), newEvent(), newEvent()], { expectedRevision: "no_stream" });
    const [first, , third] = events as [RecordedEvent, RecordedEvent, RecordedEvent];
    for (const from of [first.position - 1n, first.position + 1n, third.position - 1n, third.position + 1n]) {
      const after = events.filter((event) => event.position > from);
      assert.deepEqual(ours(await collect(store.readAll({ from })), stream), after, `after ${from}`);
      const newest: RecordedEvent[] = [];
      for await (const event of store.readAll({ from, direction: "backwards" })) {
        assert.ok(event.position < from, `before ${from}`);
        newest.push(event);
        if (event.id === first.id || event.position < first.position) break;
      }
      assert.deepEqual(ours(newest, stream), events.filter((event) => event.position < from).reverse(), `before ${from}`);
      if (after[0]) {
        const subscription = store.subscribe({ from });
        assert.deepEqual(await next(subscription[Symbol.asyncIterator](), stream), after[0], `subscribed after ${from}`);
        await subscription.close();
      }
    }
    const last = 2n ** 63n - 1n;
    assert.deepEqual(await collect(store.readAll({ from: last })), [], "nothing lies after the largest int64");
    const [newest] = await collect(store.readAll({ from: last, direction: "backwards", maxCount: 1 }));
    assert.ok(newest && newest.position >= third.position);
  },

  async "25 concurrent no_stream appends to one stream: exactly one wins"(store) {
    const stream = streamName("race");
    const attempts = Array.from({ length: 25 }, () => newEvent());
    const outcomes = await Promise.allSettled(
      attempts.map((event) => store.append(stream, [event], { expectedRevision: "no_stream" })),
    );

    const winners = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? outcome.value.events : []));
    assert.equal(winners.length, 1);
    assertLosersFailedWith(outcomes, WrongExpectedRevision);
    assert.deepEqual(await store.readStream(stream), winners);
  },

  async "50 concurrent writers on distinct streams all succeed"(store) {
    const streams = Array.from({ length: 50 }, () => streamName("writer"));
    const results = await Promise.all(
      streams.map((stream) => store.append(stream, [newEvent()], { expectedRevision: "no_stream" })),
    );

    const positions = results.map((result) => result.events[0]?.position);
    assert.equal(new Set(positions).size, 50);
    for (const stream of streams) assert.equal((await store.readStream(stream)).length, 1);
  },

  async "25 concurrent takes of one unique value: exactly one wins"(store) {
    const userName = unique("add", "popular");
    const streams = Array.from({ length: 25 }, () => streamName("claimant"));
    const outcomes = await Promise.allSettled(
      streams.map((stream) =>
        store.append(stream, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [userName] }),
      ),
    );

    assert.equal(outcomes.filter((outcome) => outcome.status === "fulfilled").length, 1);
    assertLosersFailedWith(outcomes, UniqueConstraintViolation);
    const written = await Promise.all(streams.map((stream) => store.readStream(stream)));
    assert.equal(written.flat().length, 1);
  },
};

function streamName(label: string): string {
  return `contract-${label}-${randomUUID()}`;
}

function unique(action: UniqueConstraint["action"], label: string): UniqueConstraint {
  return { action, name: "usernames", value: `${label}-${randomUUID()}` };
}

export function newEvent(type = "user.machine.added", data: unknown = { userName: "machine" }): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      resourceOwner: "org-1",
      instanceId: "instance-1",
      editorUser: "user-1",
      createdAt: "2024-05-01T10:00:00.000Z",
      correlationId: "correlation-1",
      causationId: "causation-1",
      schemaVersion: 1,
    },
  };
}

function conflict(stream: string, expected: WrongExpectedRevision["expected"], actual: WrongExpectedRevision["actual"]) {
  return (error: unknown) => {
    assert.ok(error instanceof WrongExpectedRevision);
    assert.deepEqual({ stream: error.stream, expected: error.expected, actual: error.actual }, { stream, expected, actual });
    return true;
  };
}

function violation(constraint: UniqueConstraint) {
  return (error: unknown) => {
    assert.ok(error instanceof UniqueConstraintViolation);
    assert.deepEqual(error.constraint, constraint);
    return true;
  };
}

function assertLosersFailedWith(outcomes: PromiseSettledResult<unknown>[], errorType: new (...args: never[]) => Error) {
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") assert.ok(outcome.reason instanceof errorType, String(outcome.reason));
  }
}

function assertIncreasing(positions: bigint[]) {
  assert.equal(new Set(positions).size, positions.length, "positions must be distinct");
  assert.deepEqual(positions, [...positions].sort((a, b) => (a < b ? -1 : 1)), "positions must increase");
}

/** The next event (of `stream`, when named: other writers' events are skipped). */
async function next(events: AsyncIterator<RecordedEvent>, stream?: string): Promise<RecordedEvent> {
  for (;;) {
    const result = await events.next();
    assert.equal(result.done, false, "the subscription ended early");
    if (stream === undefined || result.value.stream === stream) return result.value;
  }
}

/** The events of the test's own streams, in the order read. */
const ours = (events: readonly RecordedEvent[], ...streams: string[]) => events.filter((event) => streams.includes(event.stream));

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}
