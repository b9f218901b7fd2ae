import type { RecordedEvent } from "./envelope.js";
import type { EventStore, Subscription } from "./eventStore.js";
import { assertValidEvent, currentType, upcast } from "./registry.js";

/**
 * Puts the event schemas in front of any adapter: appends are validated before they reach the
 * store, reads are upcast to the current type name and schema version and validated.
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
      // The adapter filters before upcasting: show the filter the type the event will be read as.
      const filter = options?.filter;
      const named = filter && ((event: RecordedEvent) => filter(currentType(event.type) === event.type ? event : { ...event, type: currentType(event.type) }));
      const inner = store.subscribe(named ? { ...options, filter: named } : options);
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
