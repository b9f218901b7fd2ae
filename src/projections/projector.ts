import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore, Subscription } from "../events/eventStore.js";
import type { Logger } from "../logger.js";
import { describeRefusal, parkedEvent } from "./failedEvents.js";
import type { ProjectionView, ReducerTable } from "./projection.js";
import type { Doc, ReadModel, Write } from "./readModel.js";

export interface ProjectorOptions {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly reducers: ReducerTable;
  /** Events per commit while catching up. */
  readonly batchSize?: number;
  /** Tries of an event the reducers refuse before it is parked and skipped. Default 3. */
  readonly maxAttempts?: number;
  readonly onError?: (error: unknown) => void;
  /** An event was parked: the projection goes on without it. */
  readonly onParked?: (event: RecordedEvent, error: unknown) => void;
  readonly now?: () => Date;
}

export interface Projector {
  /** Position of the last event whose effect is committed to the read model. */
  readonly position: () => bigint;
  /** Resolves true once the read model reflects `position`, false after `timeoutMs`. */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Reads from the read model's checkpoint, applies the reducers in log order and commits each
 * batch's writes with the batch's last position, then follows new appends live. On any failure
 * it starts over from the committed checkpoint, so an event is never applied twice or skipped;
 * except an event the reducers refuse `maxAttempts` times: that one is parked (a failed-event
 * record committed in its place, as ZITADEL's failed_events) and the projection goes on. A failure
 * of the read model itself (Redis away) is never the event's fault: it is retried until it passes.
 */
export function startProjector({
  store,
  readModel,
  reducers,
  batchSize = 1000,
  maxAttempts = 3,
  onError = () => {},
  onParked = () => {},
  now = () => new Date(),
}: ProjectorOptions): Projector {
  let position = 0n;
  let running = true;
  let subscription: Subscription | undefined;
  const waiters = new Set<{ readonly position: bigint; readonly resolve: (reached: boolean) => void }>();

  function advance(to: bigint) {
    position = to;
    for (const waiter of waiters) {
      if (waiter.position <= position) {
        waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  // Promise chains rather than async functions here and in the view's `get`: a replay runs them
  // for every event of the log, and each async function's frame and await is garbage on its main thread.
  function reduce(event: RecordedEvent, view: ProjectionView, readFailures: WeakSet<object>, attempts = 1): Promise<readonly Write[]> {
    const reducer = reducers[event.type];
    if (!reducer) return Promise.resolve([]);
    // Tried again in place, against the same state: starting the batch over (with the backoff
    // meant for a read model that is away) would cost seconds per refused event, and a log with
    // many of them would stall the projection, and with it every request, for hours.
    const refused = (error: unknown): Promise<readonly Write[]> | readonly Write[] => {
      if (typeof error === "object" && error !== null && readFailures.has(error)) throw error;
      if (attempts >= maxAttempts) {
        onParked(event, error);
        return [parkedEvent(event, error, attempts, now())];
      }
      return reduce(event, view, readFailures, attempts + 1);
    };
    try {
      return reducer(event, view).catch(refused);
    } catch (error) {
      return Promise.reject(error).catch(refused);
    }
  }

  async function apply(events: readonly RecordedEvent[]) {
    const last = events.at(-1);
    if (!last) return;
    const overlay = new Map<string, Write>();
    // What the read model threw: a failure to read, never a reason to park the event being reduced.
    const readFailures = new WeakSet<object>();
    const readFailed = (error: unknown): never => {
      if (typeof error === "object" && error !== null) readFailures.add(error);
      throw error;
    };
    const view: ProjectionView = {
      get<T extends Doc>(collection: string, id: string) {
        const written = overlay.get(`${collection}\0${id}`);
        if (written) return Promise.resolve(written.op === "put" ? (written.doc as T) : undefined);
        try {
          return readModel.get<T>(collection, id).catch(readFailed);
        } catch (error) {
          return Promise.reject(error).catch(readFailed);
        }
      },
      async find(collection, index, value) {
        const ids = new Set(await readModel.find(collection, index, value));
        for (const write of overlay.values()) {
          if (write.collection !== collection) continue;
          if (write.op === "put" && write.indexes?.[index] === value) ids.add(write.id);
          else ids.delete(write.id);
        }
        return [...ids].sort();
      },
    };
    for (const event of events) {
      // An event's writes land together or not at all: a refusal half-way leaves none of them.
      for (const write of await reduce(event, view, readFailures)) overlay.set(`${write.collection}\0${write.id}`, write);
    }
    // Only each document's last write matters: the batch commits its end state.
    await readModel.commit([...overlay.values()], last.position);
    advance(last.position);
  }

  async function run() {
    for (let failures = 0; running; ) {
      try {
        position = (await readModel.checkpoint()) ?? 0n;
        // 1. catch up in batches
        let batch: RecordedEvent[] = [];
        for await (const event of store.readAll({ from: position })) {
          batch.push(event);
          if (batch.length >= batchSize) {
            await apply(batch);
            batch = [];
          }
          if (!running) return;
        }
        await apply(batch);
        failures = 0;
        // 2. follow live appends. A stop that came during the last catch-up commit found no
        // subscription to close: one opened now would follow the log forever.
        if (!running) return;
        subscription = store.subscribe({ from: position });
        for await (const event of subscription) {
          await apply([event]);
          failures = 0;
        }
      } catch (error) {
        if (!running) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** failures++)));
      } finally {
        await subscription?.close();
        subscription = undefined;
      }
    }
  }

  const done = run();

  return {
    position: () => position,
    waitFor(target, timeoutMs) {
      if (target <= position) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = { position: target, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) resolve(false);
        }, timeoutMs).unref();
      });
    },
    async stop() {
      running = false;
      await subscription?.close();
      await done;
      for (const waiter of waiters) waiter.resolve(false);
      waiters.clear();
    },
  };
}

/** The log line for a parked event: what it was, where, and why, never its payload. */
export const parkedEventLog =
  (logger: Logger) =>
  (event: RecordedEvent, error: unknown): void => {
    logger.error("event parked: the projection cannot apply it and goes on without it", {
      position: event.position.toString(),
      eventId: event.id,
      type: event.type,
      stream: event.stream,
      error: describeRefusal(error),
    });
  };
