import { KeyedMutex } from "../commands/keyedMutex.js";
import type { NewEvent } from "../events/envelope.js";
import type { AppendResult, EventStore } from "../events/eventStore.js";
import { personalFields } from "../events/personalData.js";
import { isSealed } from "./personalDataStore.js";

/**
 * The service's appends, over the personal-data layer, so that a refused creation leaves no key:
 * a new human's key is made while its first event is sealed, before the append that may refuse
 * its userName, and the key of a refused creation cannot safely be deleted afterwards
 * (docs/privacy.md). So appends that claim or give back the same unique value take turns in this
 * process (a machine creation or a rename of that userName included), and one that would make a
 * key is refused for a value another user holds before it does (`checkUnique`). What is left is a
 * race with another instance's append of that value.
 *
 * For the service alone: its commands append fresh event ids one at a time per stream. The check
 * knows neither a retry of an append that happened already (the append answers it with its first
 * result) nor another process's appends in flight, so an import, which retries and pipelines, goes
 * to the personal-data layer directly.
 */
export function withClaimsInTurn(store: EventStore): EventStore {
  const turns = new KeyedMutex();
  return {
    ...store,
    append(stream, events, options) {
      const constraints = options.uniqueConstraints ?? [];
      if (constraints.length === 0) return store.append(stream, events, options);
      const checkedFirst = async () => {
        if (events.some(makesKey) && constraints.some(({ action }) => action === "add")) await store.checkUnique(stream, constraints);
        return store.append(stream, events, options);
      };
      // Several values are taken in sorted order, so that no two appends wait for each other.
      const values = [...new Set(constraints.map(({ name, value }) => `${name}\0${value}`))].sort();
      return values.reduceRight<() => Promise<AppendResult>>((inner, value) => () => turns.run(value, inner), checkedFirst)();
    },
  };
}

/** An event that gives its user a key if the user has none yet (a new user's first). */
const makesKey = (event: NewEvent) => personalFields[event.type]?.newKey === true && !isSealed(event.data);
