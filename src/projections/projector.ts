import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore, Subscription } from "../events/eventStore.js";
import type { ProjectionView, ReducerTable } from "./projection.js";
import type { Doc, ReadModel, Write } from "./readModel.js";

export interface ProjectorOptions {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly reducers: ReducerTable;
  /** Events per commit while catching up. */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
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
 * it starts over from the committed checkpoint, so an event is never applied twice or skipped.
 */
export function startProjector({ store, readModel, reducers, batchSize = 1000, onError = () => {} }: ProjectorOptions): Projector {
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

  async function apply(events: readonly RecordedEvent[]) {
    const last = events.at(-1);
    if (!last) return;
    const overlay = new Map<string, Write>();
    const view: ProjectionView = {
      async get<T extends Doc>(collection: string, id: string) {
        const written = overlay.get(`${collection}\0${id}`);
        if (written) return written.op === "put" ? (written.doc as T) : undefined;
        return readModel.get<T>(collection, id);
      },
    };
    for (const event of events) {
      const reducer = reducers[event.type];
      if (!reducer) continue;
      for (const write of await reducer(event, view)) overlay.set(`${write.collection}\0${write.id}`, write);
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
