import type { RecordedEvent } from "./envelope.js";
import type { EventStore, Subscription } from "./eventStore.js";
import { mapEvents } from "./mapEvents.js";
import { assertValidEvent, currentType, upcast } from "./registry.js";

/** How many of its own appended events a store remembers as validated: more than the projection ever lags behind by in one batch. */
const REMEMBERED_APPENDS = 4096;

/**
 * Puts the event schemas in front of any adapter: appends are validated before they reach the
 * store, reads are upcast to the current type name and schema version and validated. An event
 * this store validated on its append is not validated again when read back soon after (every
 * subscriber follows every append at once): it is the same value, through JSON.
 */
export function withEventSchemas(store: EventStore): EventStore {
  // Ids in the order appended, the oldest forgotten first.
  const validated = new Set<string>();
  const remember = (id: string) => {
    validated.add(id);
    if (validated.size > REMEMBERED_APPENDS) validated.delete(validated.values().next().value!);
  };
  const read = (event: RecordedEvent) => upcast(event, validated.has(event.id));
  return {
    async append(stream, events, options) {
      events.forEach(assertValidEvent);
      const result = await store.append(stream, events, options);
      for (const event of result.events) remember(event.id);
      return result;
    },
    checkUnique: (stream, constraints) => store.checkUnique(stream, constraints),
    async readStream(stream, options) {
      return (await store.readStream(stream, options)).map(read);
    },
    readAll: (options) => mapEvents(store.readAll(options), read),
    subscribe(options): Subscription {
      // The adapter filters before upcasting: show the filter the type the event will be read as.
      const filter = options?.filter;
      const named = filter && ((event: RecordedEvent) => filter(currentType(event.type) === event.type ? event : { ...event, type: currentType(event.type) }));
      const inner = store.subscribe(named ? { ...options, filter: named } : options);
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) yield read(event);
        },
      };
    },
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
}
