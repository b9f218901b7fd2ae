import { BACKWARDS, END, FORWARDS, START, StreamNotFoundError, type AllStreamRecordedEvent } from "@eventstore/db-client";
import type { NewEvent, RecordedEvent } from "../envelope.js";
import { EventStoreUnavailable } from "../errors.js";
import type { AppendOptions, AppendResult, EventStore, ExpectedRevision, Subscription } from "../eventStore.js";
import { connectEsdb, type EsdbClient } from "./client.js";
import { toStoreError, translated } from "./driverErrors.js";
import { fromRecorded, isSystemEvent, logPosition, toEventData, toExpectedRevision } from "./envelope.js";
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
}

/** EventStoreDB (or KurrentDB) at `connectionString`, e.g. `esdb://localhost:2113?tls=false`. */
export const openEsdbEventStore = (connectionString: string): EventStore => createEsdbEventStore({ client: connectEsdb(connectionString) });

/**
 * The production event store: one EventStoreDB stream per aggregate, appends with the expected
 * revision, event ids for idempotency, the envelope's metadata as the event's metadata, `$all`
 * (less the server's `$` events) as the log. Unique values are reservation streams taken before
 * the append and given back when it fails (see reservations.ts).
 */
export function createEsdbEventStore({
  client,
  appendDeadlineMs = 10_000,
  abandonAfterMs = 60_000,
  now = Date.now,
  pageSize = 500,
}: EsdbEventStoreOptions): EventStore {
  const reservations = createReservations(client, { abandonAfterMs, now });
  const subscriptions = new Set<Subscription>();
  let closed = false;

  async function readFrom(stream: string, fromRevision: number, maxCount?: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      const read = client.readStream(stream, { direction: FORWARDS, fromRevision: BigInt(fromRevision), ...(maxCount ? { maxCount } : {}) });
      for await (const { event } of read) if (event) events.push(fromRecorded(event));
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw toStoreError(error);
    }
    return events;
  }

  // Appends, then reads the events back for their positions (an append reports only the last one's).
  async function appendEvents(stream: string, events: readonly NewEvent[], options: AppendOptions, deadline: number): Promise<AppendResult> {
    const { expectedRevision, uniqueConstraints = [] } = options;
    try {
      const { nextExpectedRevision } = await client.appendToStream(stream, events.map((event, i) => toEventData(event, i === 0 ? uniqueConstraints : undefined)), {
        expectedRevision: toExpectedRevision(expectedRevision),
        deadline,
      });
      const last = Number(nextExpectedRevision);
      return { events: await readFrom(stream, last - events.length + 1, events.length), nextExpectedRevision: last };
    } catch (error) {
      throw toStoreError(error, stream, expectedRevision);
    }
  }

  // A retry of an append that already happened, found where its expected revision put it.
  async function earlierAppend(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
    if (expected === "any") return undefined;
    const found = await readFrom(stream, expected === "no_stream" ? 0 : expected + 1, events.length);
    if (found.length !== events.length || found.some((event, i) => event.id !== events[i]?.id)) return undefined;
    return { events: found, nextExpectedRevision: found.at(-1)!.revision };
  }

  return {
    async append(stream, events, options) {
      if (closed) throw new EventStoreUnavailable("eventstoredb event store is closed");
      const constraints = options.uniqueConstraints ?? [];
      const first = events[0];
      if (constraints.length === 0 || !first) return appendEvents(stream, events, options, appendDeadlineMs);

      // 1. a retry of an append that already happened gets the original result
      const earlier = await earlierAppend(stream, events, options.expectedRevision);
      if (earlier) return earlier;

      // 2. check every constraint against the values as they are, then take what is new
      const started = now();
      const plan = await reservations.plan(constraints, stream);
      const holder = { owner: stream, eventId: first.id, reservedAt: new Date(started).toISOString() };
      const taken = [];
      try {
        for (const reservation of plan.takes) taken.push(await reservations.take(reservation, holder, appendDeadlineMs));
        // 3. the append itself, no later than the deadline after reserving
        const left = appendDeadlineMs - (now() - started);
        if (left <= 0) throw new EventStoreUnavailable("eventstoredb: reserving unique values took longer than the append deadline");
        const result = await appendEvents(stream, events, options, left);
        // 4. values the append removed are given back
        await Promise.all(plan.releases.map((reservation) => reservations.release(reservation)));
        return result;
      } catch (error) {
        await Promise.all(taken.map((reservation) => reservations.release(reservation)));
        throw error;
      }
    },

    readStream: (stream, { fromRevision = 0 } = {}) => readFrom(stream, fromRevision),

    async *readAll({ from, maxCount = Infinity, direction = "forwards" } = {}) {
      const backwards = direction === "backwards";
      let cursor = from ?? (backwards ? undefined : 0n);
      let left = maxCount;
      while (left > 0) {
        const page: AllStreamRecordedEvent[] = [];
        await translated(async () => {
          const fromPosition = backwards ? (cursor === undefined ? END : logPosition(cursor)) : cursor === 0n ? START : logPosition(cursor!);
          const read = client.readAll({ direction: backwards ? BACKWARDS : FORWARDS, fromPosition, maxCount: pageSize });
          for await (const { event } of read) if (event) page.push(event);
        });
        for (const event of page) {
          // forwards, `fromPosition` is inclusive; backwards, exclusive; positions are one per event
          const position = event.position.commit;
          if (cursor !== undefined && (backwards ? position >= cursor : position <= cursor)) continue;
          cursor = position;
          if (isSystemEvent(event)) continue;
          yield fromRecorded(event);
          if (--left === 0) return;
        }
        if (page.length < pageSize) return;
      }
    },

    subscribe({ from = 0n } = {}) {
      const subscription = subscribeToLog(client, from, () => subscriptions.delete(subscription));
      subscriptions.add(subscription);
      return subscription;
    },

    // Asked on every request (read-your-writes): small pages, as the head is nearly always on the first.
    async headPosition() {
      const headPageSize = Math.min(pageSize, 32);
      let before = END as typeof END | bigint;
      for (;;) {
        const page: AllStreamRecordedEvent[] = [];
        await translated(async () => {
          const read = client.readAll({ direction: BACKWARDS, fromPosition: before === END ? END : logPosition(before), maxCount: headPageSize });
          for await (const { event } of read) if (event) page.push(event);
        });
        const ours = page.find((event) => !isSystemEvent(event));
        if (ours) return ours.position.commit;
        const oldest = page.at(-1);
        if (!oldest || page.length < headPageSize) return 0n;
        before = oldest.position.commit;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await client.dispose();
    },
  };
}

