import { PassThrough } from "node:stream";
import {
  AccessDeniedError,
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult,
  type JSONEventData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from "@eventstore/db-client";
import type { EsdbClient } from "../../../src/events/esdb/client.js";
import { serverErrors } from "./serverErrors.js";

export interface FakeServerOptions {
  /** The server's `MaxAppendSize`: data, metadata and type (twice, as UTF-16) of an append's events. */
  readonly maxAppendSize?: number;
  /** The log's chunk size; a record never crosses a chunk's end. */
  readonly chunkSize?: bigint;
  /** Servers before 22.6 send no position with events read from a stream (the client reads 2^64-1). */
  readonly positionsInStreamReads?: boolean;
  /** Servers before 24.2 drop a live subscriber 32 events behind instead of letting it catch up. */
  readonly dropsSlowSubscribers?: boolean;
  /** The client's `throwOnAppendFailure`: when false, a wrong expected revision resolves `success: false`. */
  readonly throwOnAppendFailure?: boolean;
  /**
   * Whether the connection's user is an `$admins` member on a secure node. Others get the default
   * ACLs: user streams yes, `$`-streams no, `$all` only when `$$$all` grants them read.
   */
  readonly admin?: boolean;
  readonly readAllGranted?: boolean;
}

/** A call as `intercept` sees it: before the server acts, or (appends) after it wrote. */
export interface Call {
  readonly method: "appendToStream" | "readStream" | "readAll" | "subscribeToAll";
  readonly stream?: string;
  readonly phase: "before" | "after";
  readonly requiresLeader: boolean;
}

interface Stored {
  readonly event: AllStreamRecordedEvent;
  /** Where the next record may start (records are contiguous, but for the padding at a chunk's end). */
  readonly end: bigint;
}

interface LiveSubscription extends PassThrough {
  unsubscribe(): Promise<void>;
  /** Fails the subscription, as a restart or a dropped connection does (default: UNAVAILABLE). */
  fail(error?: Error): void;
  /** Ends the subscription's stream with an OK status, as a node shutting down may. */
  endByServer(): void;
}

const MiB = 1024 * 1024;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const utf8 = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)));

/**
 * An in-memory EventStoreDB behind the few client methods the adapter uses, with the server's
 * rules as its source states them (EventStore/EventStore, src/EventStore.Core):
 * - appends: expected revisions, `MaxAppendSize` (1 MiB by default), tombstoned streams, and the
 *   idempotency of IndexWriter.CheckCommit: an exact or `no_stream` revision below the current one
 *   finds the same ids at the revisions right after it in the stream (durably); one equal to the
 *   current revision writes again; `any` checks only the leader's in-memory cache of committed ids,
 *   which `restart()` empties;
 * - `$all`: the server's own `$` events, positions that are byte offsets of contiguous records
 *   (sparse, commit = prepare), reads only from where a record or a chunk starts (anywhere else:
 *   "invalid position"), forwards inclusive and backwards exclusive;
 * - ids come back lowercase; a node that lost the leadership refuses `requires-leader` calls and
 *   serves the rest from what it had replicated;
 * - subscriptions: server-side stream-name filters, exclusive start, and the ways they end.
 * Unit tests only: the contract suite runs against a real server when EVENTSTORE_URL is set.
 */
export class FakeEsdbClient implements EsdbClient {
  private readonly stored: Stored[] = [];
  private readonly streams = new Map<string, { readonly events: AllStreamRecordedEvent[]; tombstoned: boolean }>();
  // IndexWriter's _committedEvents: the leader's memory, not the log.
  private committedIds = new Map<string, { readonly stream: string; readonly revision: bigint }>();
  private readonly subscriptions = new Map<LiveSubscription, (event: AllStreamRecordedEvent) => void>();
  private writerCheckpoint = 0n;
  private replicatedUpTo: number | undefined;
  readonly options: Required<FakeServerOptions>;
  /** When set, every call fails as an unreachable server does. */
  unavailable = false;
  /** Sees every call; what it throws fails the call (an append's "after": the write happened). */
  intercept: (call: Call) => void = () => {};
  readonly deadlines: { stream: string; deadline: number | undefined }[] = [];
  /** The last subscription handed out. */
  lastSubscription: LiveSubscription | undefined;

  constructor(options: FakeServerOptions = {}) {
    this.options = {
      maxAppendSize: MiB,
      chunkSize: 256n * BigInt(MiB),
      positionsInStreamReads: true,
      dropsSlowSubscribers: false,
      throwOnAppendFailure: true,
      admin: true,
      readAllGranted: true,
      ...options,
    };
    this.write("$epoch-information", [{ id: crypto.randomUUID(), contentType: "application/json", type: "$epoch-information", data: {}, metadata: {} }]);
  }

  async appendToStream(
    streamName: string,
    events: JSONEventData[],
    options: { expectedRevision: AppendExpectedRevision; deadline?: number; requiresLeader?: boolean },
  ): Promise<AppendResult> {
    const call = { method: "appendToStream", stream: streamName, requiresLeader: options.requiresLeader === true } as const;
    this.check({ ...call, phase: "before" });
    this.deadlines.push({ stream: streamName, deadline: options.deadline });
    if (events.some((event) => !uuid.test(event.id))) throw serverErrors.badRequest();
    const size = events.reduce((sum, event) => sum + utf8(event.data) + utf8(event.metadata) + event.type.length * 2, 0);
    if (size > this.options.maxAppendSize) throw serverErrors.maxAppendSize(this.options.maxAppendSize);

    const decision = this.checkCommit(streamName, events, options.expectedRevision);
    if (decision.result === "deleted") throw serverErrors.streamDeleted(streamName);
    if (decision.result === "wrong") {
      const current = decision.current < 0n ? NO_STREAM : decision.current;
      if (this.options.throwOnAppendFailure) throw new WrongExpectedVersionError(undefined, { streamName, expected: options.expectedRevision, current });
      // batchAppend.js reads the current revision as BigInt(hasCurrentStreamRevision()): 1n, or -1n
      return { success: false, nextExpectedRevision: current === NO_STREAM ? -1n : 1n, position: undefined };
    }
    let last: AllStreamRecordedEvent;
    if (decision.result === "idempotent") last = this.streams.get(streamName)!.events[Number(decision.last)]!;
    else last = this.write(streamName, events).at(-1)!;
    this.check({ ...call, phase: "after" });
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  }

  readStream(streamName: string, options: ReadStreamOptions): AsyncIterable<ResolvedEvent> {
    return this.iterate({ method: "readStream", stream: streamName, requiresLeader: options.requiresLeader === true }, (visible) => {
      const stream = this.streams.get(streamName);
      if (stream?.tombstoned) throw serverErrors.streamDeleted(streamName);
      const events = (stream?.events ?? []).filter((event) => visible.has(event));
      if (events.length === 0) throw new StreamNotFoundError(undefined, streamName);
      const backwards = options.direction === BACKWARDS;
      const from = options.fromRevision ?? (backwards ? END : START);
      let selected = backwards ? [...events].reverse() : events;
      if (typeof from === "bigint") selected = selected.filter((event) => (backwards ? event.revision <= from : event.revision >= from));
      const noPosition = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };
      return selected
        .slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER))
        .map((event) => ({ event: copy(this.options.positionsInStreamReads ? event : { ...event, position: noPosition }) }));
    });
  }

  readAll(options: ReadAllOptions): AsyncIterable<AllStreamResolvedEvent> {
    return this.iterate({ method: "readAll", requiresLeader: options.requiresLeader === true }, (visible) => {
      const backwards = options.direction === BACKWARDS;
      const from = options.fromPosition ?? (backwards ? END : START);
      const log = this.stored.map(({ event }) => event).filter((event) => visible.has(event));
      let selected: AllStreamRecordedEvent[];
      if (from === START) selected = backwards ? [] : log;
      else if (from === END) selected = backwards ? [...log].reverse() : [];
      else {
        const at = from.commit;
        // StorageReaderWorker: a negative position is invalid; TFChunkReader: backwards beyond the
        // writer checkpoint is an error, forwards beyond it the end; anywhere else it reads the
        // bytes at `at` as a record, which only works where one starts.
        if (at < 0n) throw serverErrors.readAllRefused("InvalidPosition");
        if (backwards && at > this.writerCheckpoint) throw serverErrors.readAllRefused("Error");
        if (at < this.writerCheckpoint && !this.isRecordBoundary(at)) throw serverErrors.readAllRefused("InvalidPosition");
        selected = backwards ? log.filter((event) => event.position.commit < at).reverse() : log.filter((event) => event.position.commit >= at);
      }
      return selected.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)).map((event) => ({ event: copy(event) }));
    });
  }

  subscribeToAll(options: SubscribeToAllOptions) {
    const requiresLeader = options.requiresLeader === true;
    const output = new PassThrough({ objectMode: true });
    const regex = options.filter && "regex" in options.filter ? new RegExp(options.filter.regex) : undefined;
    const from = options.fromPosition ?? START;
    const after = from === START ? -1n : from === END ? this.writerCheckpoint : from.commit;
    const wanted = (event: AllStreamRecordedEvent) => event.position.commit > after && (!regex || regex.test(event.streamId));
    const deliver = (event: AllStreamRecordedEvent) => {
      if (!wanted(event)) return;
      // Enumerator.AllSubscription before 24.2: a bounded live buffer, and "consumer too slow"
      if (this.options.dropsSlowSubscribers && output.readableLength + output.writableLength >= 32) subscription.fail(serverErrors.consumerTooSlow());
      else output.write({ event: copy(event) });
    };
    const subscription: LiveSubscription = Object.assign(output, {
      unsubscribe: async () => {
        // The client cancels the call: grpc-js ends the stream, the cancellation error is ignored.
        this.subscriptions.delete(subscription);
        output.end();
      },
      fail: (error: Error = serverErrors.unavailable()) => {
        this.subscriptions.delete(subscription);
        output.destroy(error);
      },
      endByServer: () => {
        this.subscriptions.delete(subscription);
        output.end();
      },
    });
    this.lastSubscription = subscription;
    // The client reports a refused subscription on the stream, not from subscribeToAll().
    queueMicrotask(() => {
      try {
        this.check({ method: "subscribeToAll", requiresLeader, phase: "before" });
        if (typeof from === "object" && from.commit < this.writerCheckpoint && !this.isRecordBoundary(from.commit)) {
          throw serverErrors.subscriptionInvalidPosition();
        }
      } catch (error) {
        output.destroy(error as Error);
        return;
      }
      // catching up reads pages as the subscriber takes them: nothing is dropped there
      for (const { event } of this.stored) if (wanted(event)) output.write({ event: copy(event) });
      this.subscriptions.set(subscription, deliver);
    });
    return subscription;
  }

  async dispose() {}

  /** The events of one stream as the server stores them. */
  stream(name: string): AllStreamRecordedEvent[] {
    return [...(this.streams.get(name)?.events ?? [])];
  }

  /** Every record of `$all`, the server's own included. */
  get log(): AllStreamRecordedEvent[] {
    return this.stored.map(({ event }) => event);
  }

  /** Deletes a stream for good: reads and appends fail with "stream deleted". */
  tombstone(name: string): void {
    const stream = this.streams.get(name) ?? { events: [], tombstoned: false };
    this.streams.set(name, stream);
    this.place({ id: crypto.randomUUID(), contentType: "application/json", type: "$streamDeleted", data: {}, metadata: {} }, name, 2n ** 63n - 1n);
    stream.tombstoned = true;
  }

  /** Restarts the node: subscriptions fail (or end), the leader's cache of committed ids is gone. */
  restart({ subscriptions = "fail" }: { subscriptions?: "fail" | "end" } = {}): void {
    this.committedIds = new Map();
    for (const subscription of [...this.subscriptions.keys()]) {
      if (subscriptions === "fail") subscription.fail();
      else subscription.endByServer();
    }
  }

  /** The node becomes a follower after an election; what it had replicated is what it serves. */
  demote(): void {
    this.replicatedUpTo = this.stored.length;
  }

  // IndexWriter.CheckCommit, for the expected revisions the adapter sends.
  private checkCommit(name: string, events: JSONEventData[], expected: AppendExpectedRevision) {
    const stream = this.streams.get(name);
    if (!stream) return expected === ANY || expected === NO_STREAM ? { result: "ok" as const } : { result: "wrong" as const, current: -1n };
    if (stream.tombstoned) return { result: "deleted" as const };
    const current = BigInt(stream.events.length - 1);
    const ids = events.map((event) => event.id.toLowerCase());
    if (expected === ANY) {
      let last: bigint | undefined;
      for (const [i, id] of ids.entries()) {
        const committed = this.committedIds.get(id);
        if (committed?.stream !== name) return i === 0 ? { result: "ok" as const } : { result: "wrong" as const, current };
        last = committed.revision;
      }
      return last === undefined ? { result: "ok" as const } : { result: "idempotent" as const, last };
    }
    if (typeof expected !== "bigint" && expected !== NO_STREAM) throw new Error(`the fake does not model expected revision ${String(expected)}`);
    const revision = expected === NO_STREAM ? -1n : expected;
    if (revision < current) {
      const same = ids.every((id, i) => stream.events[Number(revision) + 1 + i]?.id === id);
      return same && ids.length > 0 ? { result: "idempotent" as const, last: revision + BigInt(ids.length) } : { result: "wrong" as const, current };
    }
    return revision > current ? { result: "wrong" as const, current } : { result: "ok" as const };
  }

  private write(streamName: string, events: JSONEventData[]): AllStreamRecordedEvent[] {
    const stream = this.streams.get(streamName) ?? { events: [], tombstoned: false };
    this.streams.set(streamName, stream);
    return events.map((event) => {
      const recorded = this.place(event, streamName, BigInt(stream.events.length));
      stream.events.push(recorded);
      this.committedIds.set(recorded.id, { stream: streamName, revision: recorded.revision });
      return recorded;
    });
  }

  // Appends one record to the log at the writer checkpoint, or at the next chunk when it does not fit.
  private place(event: JSONEventData, streamId: string, revision: bigint): AllStreamRecordedEvent {
    const size = BigInt(90 + Buffer.byteLength(streamId) + event.type.length * 2 + utf8(event.data) + utf8(event.metadata));
    const { chunkSize } = this.options;
    let position = this.writerCheckpoint;
    if ((position % chunkSize) + size > chunkSize) position += chunkSize - (position % chunkSize);
    const recorded: AllStreamRecordedEvent = {
      streamId,
      id: event.id.toLowerCase(),
      isJson: true,
      revision,
      type: event.type,
      created: new Date(),
      // the server stores bytes: what comes back is a copy
      data: JSON.parse(JSON.stringify(event.data)),
      metadata: JSON.parse(JSON.stringify(event.metadata ?? {})),
      position: { commit: position, prepare: position },
    };
    this.stored.push({ event: recorded, end: position + size });
    this.writerCheckpoint = position + size;
    for (const deliver of [...this.subscriptions.values()]) deliver(recorded);
    return recorded;
  }

  private isRecordBoundary(position: bigint): boolean {
    return position % this.options.chunkSize === 0n || this.stored.some(({ event, end }) => event.position.commit === position || end === position);
  }

  private check(call: Call): void {
    if (this.unavailable) throw serverErrors.unavailable("No connection established");
    if (!this.options.admin) {
      // LegacyStreamPermissionAssertion with SystemSettings.Default
      const denied = call.stream === undefined ? !this.options.readAllGranted : call.stream.startsWith("$");
      if (denied) throw new AccessDeniedError();
    }
    if (call.phase === "before" && call.requiresLeader && this.replicatedUpTo !== undefined) throw serverErrors.notLeader();
    this.intercept(call);
  }

  // The client's ReadStream: the server's refusal arrives while iterating, not when the call is made.
  private iterate<T>(call: Omit<Call, "phase">, produce: (visible: Set<AllStreamRecordedEvent>) => T[]): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        let items: T[] | undefined;
        return {
          next: async () => {
            if (!items) {
              this.check({ ...call, phase: "before" });
              const upTo = call.requiresLeader ? undefined : this.replicatedUpTo;
              items = produce(new Set(this.stored.slice(0, upTo).map(({ event }) => event)));
            }
            const item = items.shift();
            return item === undefined ? { done: true, value: undefined } : { done: false, value: item };
          },
        };
      },
    };
  }
}

const copy = (event: AllStreamRecordedEvent): AllStreamRecordedEvent => ({
  ...event,
  data: JSON.parse(JSON.stringify(event.data)),
  metadata: JSON.parse(JSON.stringify(event.metadata)),
});
