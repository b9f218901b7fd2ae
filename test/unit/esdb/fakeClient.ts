import { PassThrough } from "node:stream";
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type JSONEventData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from "@eventstore/db-client";
import type { EsdbClient } from "../../../src/events/esdb/client.js";

/**
 * An in-memory stand-in for the few EventStoreDB client methods the adapter uses, with the
 * server's observable rules: expected revisions, idempotent retries of the same event ids, `$all`
 * holding the server's own `$` events too, `readAll` inclusive forwards and exclusive backwards,
 * and positions that are sparse log offsets (commit = prepare). Unit tests only: the contract
 * suite runs against a real server when EVENTSTORE_URL is set.
 */
export class FakeEsdbClient implements EsdbClient {
  readonly log: AllStreamRecordedEvent[] = [];
  private nextPosition = 1000n;
  private readonly live = new Set<(event: AllStreamRecordedEvent) => void>();
  /** When set, every call fails as an unreachable server does. */
  unavailable = false;
  /** Appends to streams matching this fail with UnavailableError (a connection lost mid-way). */
  failAppendsTo: RegExp | undefined;
  /** Called before each append, e.g. to move a clock. */
  beforeAppend: (stream: string) => void = () => {};
  readonly deadlines: { stream: string; deadline: number | undefined }[] = [];
  /** The last subscription handed out; `drop()` ends it as a server restart would. */
  lastSubscription: { drop(): void } | undefined;

  constructor() {
    this.write("$epoch", [{ id: crypto.randomUUID(), contentType: "application/json", type: "$epoch", data: {}, metadata: {} }]);
  }

  async appendToStream(streamName: string, events: JSONEventData[], options: { expectedRevision: AppendExpectedRevision; deadline?: number }) {
    this.check();
    this.beforeAppend(streamName);
    if (this.failAppendsTo?.test(streamName)) throw new UnavailableError();
    this.deadlines.push({ stream: streamName, deadline: options.deadline });
    const stream = this.stream(streamName);
    const expected = options.expectedRevision;
    const current = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);

    const start = expected === NO_STREAM ? 0 : typeof expected === "bigint" ? Number(expected) + 1 : undefined;
    const retried = this.retried(stream, events, start);
    if (retried !== undefined) return { success: true, nextExpectedRevision: retried };

    const matches = expected === ANY || (expected === NO_STREAM ? stream.length === 0 : expected === current);
    if (!matches) throw new WrongExpectedVersionError(undefined, { streamName, expected, current });
    const written = this.write(streamName, events);
    const last = written.at(-1)!;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  }

  readStream(streamName: string, options: ReadStreamOptions): AsyncIterable<ResolvedEvent> {
    const stream = this.stream(streamName);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromRevision ?? START;
    let events = backwards ? [...stream].reverse() : stream;
    if (typeof from === "bigint") events = events.filter((event) => (backwards ? event.revision <= from : event.revision >= from));
    const selected = events.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER));
    return this.iterate(() => {
      if (stream.length === 0) throw new StreamNotFoundError(undefined, streamName);
      return selected.map((event) => ({ event: copy(event) }));
    });
  }

  readAll(options: ReadAllOptions): AsyncIterable<AllStreamResolvedEvent> {
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition ?? (backwards ? END : START);
    let events = backwards ? [...this.log].reverse() : this.log;
    if (typeof from === "object") {
      events = events.filter((event) => (backwards ? event.position.commit < from.commit : event.position.commit >= from.commit));
    }
    const selected = events.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER));
    return this.iterate(() => selected.map((event) => ({ event: copy(event) })));
  }

  subscribeToAll(options: SubscribeToAllOptions) {
    this.check();
    const output = new PassThrough({ objectMode: true });
    const from = options.fromPosition ?? START;
    const after = (event: AllStreamRecordedEvent) => typeof from !== "object" || event.position.commit > from.commit;
    for (const event of this.log) if (after(event)) output.write({ event: copy(event) });
    const push = (event: AllStreamRecordedEvent) => output.write({ event: copy(event) });
    this.live.add(push);
    return (this.lastSubscription = Object.assign(output, {
      unsubscribe: async () => {
        this.live.delete(push);
        output.end();
      },
      /** Drops the subscription as a server restart would. */
      drop: () => {
        this.live.delete(push);
        output.destroy(new UnavailableError());
      },
    }));
  }

  async dispose() {}

  /** The events of one stream as the server stores them. */
  stream(name: string): AllStreamRecordedEvent[] {
    return this.log.filter((event) => event.streamId === name);
  }

  private write(streamName: string, events: JSONEventData[]): AllStreamRecordedEvent[] {
    const revision = this.stream(streamName).length;
    const written = events.map((event, i): AllStreamRecordedEvent => {
      this.nextPosition += 137n;
      return {
        streamId: streamName,
        id: event.id,
        isJson: true,
        revision: BigInt(revision + i),
        type: event.type,
        created: new Date(),
        // the server stores bytes: what comes back is a copy
        data: JSON.parse(JSON.stringify(event.data)),
        metadata: JSON.parse(JSON.stringify(event.metadata ?? {})),
        position: { commit: this.nextPosition, prepare: this.nextPosition },
      };
    });
    this.log.push(...written);
    for (const event of written) for (const push of this.live) push(event);
    return written;
  }

  // The server's idempotency: the same ids already written where the expected revision puts them.
  private retried(stream: AllStreamRecordedEvent[], events: JSONEventData[], start: number | undefined): bigint | undefined {
    const at = start ?? stream.findIndex((event) => event.id === events[0]?.id);
    if (at < 0) return undefined;
    const found = stream.slice(at, at + events.length);
    const same = found.length === events.length && found.every((event, i) => event.id === events[i]?.id);
    return same ? found.at(-1)!.revision : undefined;
  }

  private iterate<T>(produce: () => T[]): AsyncIterable<T> {
    const check = () => this.check();
    return {
      async *[Symbol.asyncIterator]() {
        check();
        yield* produce();
      },
    };
  }

  private check(): void {
    if (this.unavailable) throw new UnavailableError();
  }
}

const copy = (event: AllStreamRecordedEvent): AllStreamRecordedEvent => ({
  ...event,
  data: JSON.parse(JSON.stringify(event.data)),
  metadata: JSON.parse(JSON.stringify(event.metadata)),
});
