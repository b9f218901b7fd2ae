import type { EventStore, Subscription } from "./eventStore.js";
import { assertValidEvent, upcast } from "./registry.js";

/**
 * Puts the event schemas in front of any adapter: appends are validated before they reach the
 * store, reads are upcast to the current schema version and validated.
 */
export function withEventSchemas(store: EventStore): EventStore {
  return {
    append(stream, events, options) {
      events.forEach(assertValidEvent);
      return store.append(stream, events, options);
    },
    async readStream(stream, options) {
      return (await store.readStream(stream, options)).map(upcast);
    },
    async *readAll(options) {
      for await (const event of store.readAll(options)) yield upcast(event);
    },
    subscribe(options): Subscription {
      const inner = store.subscribe(options);
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) yield upcast(event);
        },
      };
    },
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
}
