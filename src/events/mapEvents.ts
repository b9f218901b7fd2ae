import type { RecordedEvent } from "./envelope.js";

/**
 * `events` with `map` applied to each, as `for await (...) yield map(event)` gives them, without an
 * async generator's machinery per event (its queue, an await of every value it yields): a replay
 * passes every event of the log through a few such layers. A `map` that throws ends the read there
 * and closes `events`, as the loop would.
 */
export function mapEvents(events: AsyncIterable<RecordedEvent>, map: (event: RecordedEvent) => RecordedEvent): AsyncIterable<RecordedEvent> {
  return {
    [Symbol.asyncIterator]() {
      const inner = events[Symbol.asyncIterator]();
      const mapped = (result: IteratorResult<RecordedEvent>): IteratorResult<RecordedEvent> | Promise<never> => {
        if (result.done) return result;
        try {
          return { done: false, value: map(result.value) };
        } catch (error) {
          // The loop's error is the one to report, whatever closing the read says.
          const rethrow = () => Promise.reject(error);
          return Promise.resolve(inner.return?.()).then(rethrow, rethrow);
        }
      };
      return {
        next: () => inner.next().then(mapped),
        return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}
