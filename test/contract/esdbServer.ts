import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { AccessDeniedError, DeadlineExceededError, NO_STREAM, UnavailableError } from "@eventstore/db-client";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { EventStoreRefused, EventStoreUnavailable, UniqueConstraintViolation } from "../../src/events/errors.js";
import type { EsdbClient } from "../../src/events/esdb/client.js";
import { createEsdbEventStore } from "../../src/events/esdb/esdbEventStore.js";
import { reservationStream } from "../../src/events/esdb/reservations.js";
import type { EventStore, UniqueConstraint } from "../../src/events/eventStore.js";
import { newEvent } from "./eventStore.js";

/** An EventStoreDB node to run the server cases against, and what the cases need to do to it. */
export interface EsdbServerUnderTest {
  /** A client of the node, as idledger connects (a fresh one per call). */
  connect(): EsdbClient;
  /** Deletes a stream for good, as an operator would. */
  tombstone(stream: string): Promise<void>;
  /** Restarts the node; undefined when it cannot be done from here (the case says why). */
  readonly restart?: () => Promise<void>;
  /** Set when the connection's user is not an admin of a secure node; undefined says why not. */
  readonly leastPrivilege?: true;
  readonly skips?: { readonly restart?: string; readonly leastPrivilege?: string };
}

/** The real client, with faults injected after the server has done its part. */
function withFaults(client: EsdbClient) {
  // appends to a stream fail before they reach the server, or answer with an error once written;
  // reads of a stream fail once it was appended to
  const faults = { appendsTo: new Set<string>(), afterAppendTo: new Map<string, Error>(), readsAfterAppendTo: new Map<string, Error>() };
  const failingReads = new Map<string, Error>();
  const faulty: EsdbClient = {
    async appendToStream(stream, events, options) {
      if (faults.appendsTo.has(stream)) throw new UnavailableError();
      const result = await client.appendToStream(stream, events, options);
      const readFault = faults.readsAfterAppendTo.get(stream);
      if (readFault) failingReads.set(stream, readFault);
      const fault = faults.afterAppendTo.get(stream);
      if (fault) throw fault;
      return result;
    },
    readStream(stream, options) {
      const fault = failingReads.get(stream);
      if (fault) throw fault;
      return client.readStream(stream, options);
    },
    readAll: (options) => client.readAll(options),
    subscribeToAll: (options) => client.subscribeToAll(options),
    dispose: () => client.dispose(),
  };
  return { faulty, faults, healReads: () => failingReads.clear() };
}

const streamName = (label: string) => `contract-${label}-${randomUUID()}`;
const taken = (label: string): UniqueConstraint => ({ action: "add", name: "usernames", value: `${label}-${randomUUID()}` });

interface ServerCase {
  readonly skip?: (server: EsdbServerUnderTest) => string | undefined;
  readonly timeout?: number;
  run(server: EsdbServerUnderTest): Promise<void>;
}

// What the server itself decides: its limits, its permissions, its restarts, and the failures
// around an append that only its answers (or their loss) produce.
const serverCases: Record<string, ServerCase> = {
  "an append over 1 MiB is refused as too large, writes nothing and keeps no unique value": {
    async run(server) {
      await withStore(server, async (store) => {
        const stream = streamName("too-large");
        const value = taken("large");
        const big = [newEvent("user.machine.added", { blob: "x".repeat(700 * 1024) }), newEvent("user.machine.added", { blob: "y".repeat(400 * 1024) })];
        await assert.rejects(
          store.append(stream, big, { expectedRevision: "no_stream", uniqueConstraints: [value] }),
          (error) => error instanceof EventStoreRefused && error.refusal === "too_large",
        );
        assert.deepEqual(await store.readStream(stream), []);
        await store.append(streamName("next"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
      });
    },
  },

  "a read-back failing after the append keeps the unique value: the event stands, nobody else takes it": {
    async run(server) {
      const { faulty, faults, healReads } = withFaults(server.connect());
      const store = createEsdbEventStore({ client: faulty });
      try {
        const stream = streamName("read-back");
        const value = taken("read-back");
        const event = newEvent();
        faults.readsAfterAppendTo.set(stream, new UnavailableError());
        await assert.rejects(store.append(stream, [event], { expectedRevision: "no_stream", uniqueConstraints: [value] }), EventStoreUnavailable);
        faults.readsAfterAppendTo.delete(stream);
        healReads();
        assert.deepEqual((await store.readStream(stream)).map(({ id }) => id), [event.id]);
        await assert.rejects(store.append(streamName("other"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
      } finally {
        await store.close();
      }
    },
  },

  "a deadline that passed though the server wrote keeps the unique value, and a release that never landed frees it": {
    async run(server) {
      const { faulty, faults } = withFaults(server.connect());
      const store = createEsdbEventStore({ client: faulty });
      try {
        const stream = streamName("deadline");
        const value = taken("deadline");
        faults.afterAppendTo.set(stream, new DeadlineExceededError());
        await assert.rejects(store.append(stream, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), EventStoreUnavailable);
        faults.afterAppendTo.delete(stream);
        await assert.rejects(store.append(streamName("other"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] }), UniqueConstraintViolation);
        // the owner removes it, but the release is lost: its events still say it is free
        faults.appendsTo.add(reservationStream(value));
        await store.append(stream, [newEvent("user.removed")], { expectedRevision: 0, uniqueConstraints: [{ ...value, action: "remove" }] });
        faults.appendsTo.clear();
        await store.append(streamName("other"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
      } finally {
        await store.close();
      }
    },
  },

  "ids sent in upper case come back as the server keeps them, and their unique values stay held": {
    async run(server) {
      await withStore(server, async (store) => {
        const stream = streamName("upper");
        const value = taken("upper");
        const events = [{ ...newEvent(), id: randomUUID().toUpperCase() }];
        const original = await store.append(stream, events, { expectedRevision: "no_stream", uniqueConstraints: [value] });
        assert.equal(original.events[0]?.id, events[0]!.id.toLowerCase());
        assert.deepEqual(await store.append(stream, events, { expectedRevision: "no_stream", uniqueConstraints: [value] }), original);
      });
    },
  },

  "a tombstoned stream is refused as deleted, not read as empty": {
    async run(server) {
      await withStore(server, async (store) => {
        const stream = streamName("tombstoned");
        await store.append(stream, [newEvent()], { expectedRevision: "no_stream" });
        await server.tombstone(stream);
        const deleted = (error: unknown) => error instanceof EventStoreRefused && error.refusal === "stream_deleted";
        await assert.rejects(store.readStream(stream), deleted);
        await assert.rejects(store.append(stream, [newEvent()], { expectedRevision: 0 }), deleted);
      });
    },
  },

  "a secure node with a user who is not an admin: `$`-streams are denied to it, and the suite passed without them": {
    skip: (server) => (server.leastPrivilege ? undefined : server.skips?.leastPrivilege ?? "not a secure node with a user who is not an admin"),
    async run(server) {
      const client = server.connect();
      try {
        const event = { id: randomUUID(), contentType: "application/json" as const, type: "idledger.probe", data: {}, metadata: {} };
        await assert.rejects(client.appendToStream(`$idledger-probe-${randomUUID()}`, [event], { expectedRevision: NO_STREAM }), AccessDeniedError);
      } finally {
        await client.dispose();
      }
      await withStore(server, async (store) => {
        const value = taken("secure");
        const { events } = await store.append(streamName("secure"), [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [value] });
        const [atHead] = await collect(store.readAll({ direction: "backwards", from: events[0]!.position + 1n, maxCount: 1 }));
        assert.deepEqual(atHead, events[0], "reading `$all` was granted");
      });
    },
  },

  "a restart in the middle of a subscription ends it with EventStoreUnavailable; resubscribing from the last position misses nothing": {
    skip: (server) => (server.restart ? undefined : server.skips?.restart ?? "the node cannot be restarted from here"),
    timeout: 120_000,
    async run(server) {
      await withStore(server, async (store) => {
        const stream = streamName("restart");
        const { events: before } = await store.append(stream, [newEvent(), newEvent()], { expectedRevision: "no_stream" });
        const from = before[0]!.position - 1n;
        const seen: RecordedEvent[] = [];
        const subscription = store.subscribe({ from });
        const ended = (async () => {
          for await (const event of subscription) if (event.stream === stream) seen.push(event);
        })();
        while (seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
        await server.restart!();
        await assert.rejects(ended, EventStoreUnavailable);
        await subscription.close();

        const after = await retryUntilBack(() => store.append(stream, [newEvent()], { expectedRevision: 1 }));
        const resumed = store.subscribe({ from: seen.at(-1)!.position });
        const [next] = await collect(resumed, (event) => event.stream === stream, 1);
        assert.deepEqual([...seen, next], [...before, ...after.events]);
      });
    },
  },
};

/**
 * The server cases against `server`; without one (undefined), one SKIP line and every case
 * reported as skipped. A case the server cannot support says so on its own SKIP line.
 */
export function testEsdbServer(name: string, server: EsdbServerUnderTest | undefined, { skipReason = "no server" }: { skipReason?: string } = {}): void {
  describe(`eventstoredb server cases [${name}]`, () => {
    if (!server) console.warn(`SKIP eventstoredb server cases [${name}]: ${skipReason}`);
    for (const [title, { skip, timeout = 30_000, run }] of Object.entries(serverCases)) {
      const skipped = server ? skip?.(server) : skipReason;
      if (skipped && server) console.warn(`SKIP eventstoredb server cases [${name}], ${title}: ${skipped}`);
      if (skipped || !server) it(title, { skip: skipped ?? skipReason }, () => {});
      else it(title, { timeout }, () => run(server));
    }
  });
}

async function withStore(server: EsdbServerUnderTest, use: (store: EventStore) => Promise<void>): Promise<void> {
  const store = createEsdbEventStore({ client: server.connect() });
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

// A restarting node answers UNAVAILABLE until it is up: bounded to a minute.
async function retryUntilBack<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof EventStoreUnavailable) || attempt >= 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function collect(
  events: AsyncIterable<RecordedEvent> & { close?: () => Promise<void> },
  wanted: (event: RecordedEvent) => boolean = () => true,
  count = Infinity,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  try {
    for await (const event of events) {
      if (wanted(event)) seen.push(event);
      if (seen.length >= count) break;
    }
  } finally {
    await events.close?.();
  }
  return seen;
}
