import { BACKWARDS, END, FORWARDS, NO_STREAM, StreamNotFoundError, WrongExpectedVersionError } from "@eventstore/db-client";
import { checkUnique } from "../checkUnique.js";
import type { NewEvent, RecordedEvent } from "../envelope.js";
import { EventStoreUnavailable } from "../errors.js";
import type { AppendOptions, AppendResult, EventStore, ExpectedRevision, Subscription } from "../eventStore.js";
import { connectEsdb, type EsdbClient } from "./client.js";
import { definitelyNotWritten, toStoreError } from "./driverErrors.js";
import { eventId, fromRecorded, isServed, toEventData, toExpectedRevision } from "./envelope.js";
import { createLogReader, DEFAULT_CHUNK_SIZE } from "./logReader.js";
import { createReservations } from "./reservations.js";
import { subscribeToLog } from "./subscription.js";

export interface EsdbEventStoreOptions {
  readonly client: EsdbClient;
  /** How long an append may take; a reservation's owner never appends later than this after reserving. */
  readonly appendDeadlineMs?: number;
  /** After how long a reservation whose event never landed is taken for abandoned. Must exceed the deadline by far. */
  readonly abandonAfterMs?: number;
  readonly now?: () => number;
  readonly pageSize?: number;
  /** The server's chunk size (its `ChunkSize`), where an arbitrary position is resolved from. */
  readonly chunkSize?: bigint;
}

/** EventStoreDB (or KurrentDB) at `connectionString`, e.g. `esdb://localhost:2113?tls=false`. */
export const openEsdbEventStore = (connectionString: string): EventStore => createEsdbEventStore({ client: connectEsdb(connectionString) });

// Every call goes to the leader: after a failover, a demoted node would answer from what it had.
const leader = { requiresLeader: true } as const;

/**
 * The production event store: one EventStoreDB stream per aggregate, appends with the expected
 * revision, event ids for idempotency, the envelope's metadata as the event's metadata, `$all`
 * (less the server's `$` events and our reservations) as the log. Unique values are reservation
 * streams taken before the append and given back when it certainly failed (see reservations.ts).
 */
export function createEsdbEventStore({
  client,
  appendDeadlineMs = 10_000,
  abandonAfterMs = 60_000,
  now = Date.now,
  pageSize = 500,
  chunkSize = DEFAULT_CHUNK_SIZE,
}: EsdbEventStoreOptions): EventStore {
  const reservations = createReservations(client, { abandonAfterMs, now });
  const log = createLogReader(client, { pageSize, chunkSize });
  const subscriptions = new Set<Subscription>();
  let closed = false;

  async function readFrom(stream: string, fromRevision: number | "end", maxCount?: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      const from = fromRevision === "end" ? ({ direction: BACKWARDS, fromRevision: END } as const) : ({ direction: FORWARDS, fromRevision: BigInt(fromRevision) } as const);
      const read = client.readStream(stream, { ...from, ...(maxCount ? { maxCount } : {}), ...leader });
      for await (const { event } of read) if (event) events.push(fromRecorded(event));
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw toStoreError(error);
    }
    return events;
  }

  async function lastRevision(stream: string): Promise<bigint | typeof NO_STREAM> {
    try {
      for await (const { event } of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1, ...leader })) if (event) return event.revision;
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw toStoreError(error);
    }
    return NO_STREAM;
  }

  // The append itself: the revision of the stream's last event after it, as the server reports it.
  async function write(stream: string, events: readonly NewEvent[], { expectedRevision, uniqueConstraints = [] }: AppendOptions, deadline: number): Promise<number> {
    const result = await client.appendToStream(stream, events.map((event, i) => toEventData(event, i === 0 ? uniqueConstraints : undefined)), {
      expectedRevision: toExpectedRevision(expectedRevision),
      deadline,
      ...leader,
    });
    // a client built with throwOnAppendFailure=false answers a conflict so
    if (!result.success) {
      const current = await lastRevision(stream);
      throw new WrongExpectedVersionError(undefined, { streamName: stream, expected: toExpectedRevision(expectedRevision), current });
    }
    return Number(result.nextExpectedRevision);
  }

  // Reads the appended events back for their positions (an append reports only the last one's).
  async function readBack(stream: string, last: number, count: number): Promise<AppendResult> {
    return { events: await readFrom(stream, last - count + 1, count), nextExpectedRevision: last };
  }

  // A retry of an append that already happened, found where its expected revision put it.
  async function earlierAppend(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
    if (expected === "any") return undefined;
    const found = await readFrom(stream, expected === "no_stream" ? 0 : expected + 1, events.length);
    if (found.length !== events.length || found.some((event, i) => event.id !== eventId(events[i]!.id))) return undefined;
    return { events: found, nextExpectedRevision: found.at(-1)!.revision };
  }

  return {
    async append(stream, events, options) {
      if (closed) throw new EventStoreUnavailable("eventstoredb event store is closed");
      const constraints = options.uniqueConstraints ?? [];
      const first = events[0];
      if (constraints.length === 0 || !first) {
        try {
          return await readBack(stream, await write(stream, events, options, appendDeadlineMs), events.length);
        } catch (error) {
          throw toStoreError(error, stream, options.expectedRevision);
        }
      }

      // 1. a retry of an append that already happened gets the original result
      const earlier = await earlierAppend(stream, events, options.expectedRevision);
      if (earlier) return earlier;

      // 2. check every constraint against the values as they are, then take what is new
      const started = now();
      const plan = await reservations.plan(constraints, stream);
      const holder = { owner: stream, eventId: first.id, reservedAt: new Date(started).toISOString() };
      const taken = [];
      let stage: "reserving" | "appending" | "appended" = "reserving";
      try {
        for (const reservation of plan.takes) taken.push(await reservations.take(reservation, holder, appendDeadlineMs));
        // 3. the append itself, no later than the deadline after reserving
        const left = appendDeadlineMs - (now() - started);
        if (left <= 0) throw new EventStoreUnavailable("eventstoredb: reserving unique values took longer than the append deadline");
        stage = "appending";
        const last = await write(stream, events, options, left);
        stage = "appended";
        // 4. values the append removed are given back
        await Promise.all(plan.releases.map((reservation) => reservations.release(reservation)));
        return await readBack(stream, last, events.length);
      } catch (error) {
        // Values are given back only when the append certainly did not happen: after a timeout the
        // server may still write it, and then the reservation's check finds the event.
        const mayHaveHappened = stage === "appended" || (stage === "appending" && !definitelyNotWritten(error));
        if (!mayHaveHappened) await Promise.all(taken.map((reservation) => reservations.release(reservation)));
        throw toStoreError(error, stream, options.expectedRevision);
      }
    },

    async checkUnique(stream, constraints) {
      if (closed) throw new EventStoreUnavailable("eventstoredb event store is closed");
      await checkUnique(stream, constraints, (constraint) => reservations.holder(constraint));
    },

    readStream: (stream, { fromRevision = 0, maxCount, direction = "forwards" } = {}) => readFrom(stream, direction === "backwards" ? "end" : fromRevision, maxCount),

    async *readAll({ from, maxCount = Infinity, direction = "forwards" } = {}) {
      if (maxCount <= 0) return;
      let left = maxCount;
      for await (const event of direction === "backwards" ? log.backwards(from) : log.forwards(from)) {
        if (!isServed(event)) continue;
        yield fromRecorded(event);
        if (--left === 0) return;
      }
    },

    subscribe({ from = 0n, filter } = {}) {
      const subscription = subscribeToLog(client, log, { from, ...(filter ? { filter } : {}) }, () => subscriptions.delete(subscription));
      subscriptions.add(subscription);
      return subscription;
    },

    // Asked on every request (read-your-writes): small pages, as the head is nearly always on the first.
    async headPosition() {
      for await (const event of log.backwards(undefined, Math.min(pageSize, 32))) if (isServed(event)) return event.position.commit;
      return 0n;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await client.dispose();
    },
  };
}
