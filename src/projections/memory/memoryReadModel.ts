import type { Doc, ReadModel, Write } from "../readModel.js";

interface Stored {
  readonly doc: Doc;
  readonly indexes: Readonly<Record<string, string>>;
}

/** The embedded read model: plain maps, rebuilt from the log on every start. */
export function createMemoryReadModel(): ReadModel {
  const docs = new Map<string, Stored>();
  // `${collection}\0${index}\0${value}` -> ids
  const indexes = new Map<string, Set<string>>();
  let checkpoint: bigint | undefined;

  const key = (collection: string, id: string) => `${collection}\0${id}`;
  const indexKey = (collection: string, index: string, value: string) => `${collection}\0${index}\0${value}`;

  const same = (entries: Readonly<Record<string, string>>, index: string, value: string) => Object.hasOwn(entries, index) && entries[index] === value;

  function apply(write: Write) {
    const k = key(write.collection, write.id);
    const before = docs.get(k)?.indexes ?? {};
    const after: Readonly<Record<string, string>> = write.op === "delete" ? {} : { ...write.indexes };
    // Only the entries that changed: a user's org index holds every user of the org, and most
    // writes leave a document's index values as they were.
    for (const [index, value] of Object.entries(before)) {
      if (same(after, index, value)) continue;
      const ik = indexKey(write.collection, index, value);
      const ids = indexes.get(ik);
      ids?.delete(write.id);
      if (ids?.size === 0) indexes.delete(ik);
    }
    if (write.op === "delete") {
      docs.delete(k);
      return;
    }
    // Copied and deep-frozen once here, so every read can share it: no reader can change what is stored.
    docs.set(k, { doc: deepFreeze(structuredClone(write.doc)), indexes: after });
    for (const [index, value] of Object.entries(after)) {
      if (same(before, index, value)) continue;
      const ik = indexKey(write.collection, index, value);
      const ids = indexes.get(ik) ?? new Set<string>();
      ids.add(write.id);
      indexes.set(ik, ids);
    }
  }

  return {
    async get<T extends Doc>(collection: string, id: string) {
      const stored = docs.get(key(collection, id));
      return stored?.doc as T | undefined;
    },
    async find(collection, index, value) {
      return [...(indexes.get(indexKey(collection, index, value)) ?? [])].sort();
    },
    async commit(writes, position) {
      // Synchronous from here on: no reader can observe half a batch.
      for (const write of writes) apply(write);
      checkpoint = position;
    },
    async checkpoint() {
      return checkpoint;
    },
    async close() {
      docs.clear();
      indexes.clear();
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
