import type { Doc, ReadModel, Write } from "../readModel.js";

interface Stored {
  readonly doc: Doc;
  readonly indexes: Readonly<Record<string, string>>;
}

/** The embedded read model: plain maps, rebuilt from the log on every start. */
export function createMemoryReadModel(): ReadModel {
  // Per collection, so that a read builds no key: collection -> id -> stored document.
  const docs = new Map<string, Map<string, Stored>>();
  // `${collection}\0${index}\0${value}` -> ids
  const indexes = new Map<string, Set<string>>();
  let checkpoint: bigint | undefined;

  const collectionOf = (collection: string) => {
    let stored = docs.get(collection);
    if (!stored) docs.set(collection, (stored = new Map()));
    return stored;
  };
  const indexKey = (collection: string, index: string, value: string) => `${collection}\0${index}\0${value}`;

  const same = (entries: Readonly<Record<string, string>>, index: string, value: string) => Object.hasOwn(entries, index) && entries[index] === value;

  function apply(write: Write) {
    const stored = collectionOf(write.collection);
    const before = stored.get(write.id)?.indexes ?? {};
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
      stored.delete(write.id);
      return;
    }
    // Copied and deep-frozen once here, so every read can share it: no reader can change what is stored.
    stored.set(write.id, { doc: frozenCopy(write.doc) as Doc, indexes: after });
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
      return docs.get(collection)?.get(id)?.doc as T | undefined;
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

// A reducer builds a document's next version by spreading the stored one, so most of a write is
// parts of stored documents, which are frozen: a part frozen all the way down can never change, so
// it is shared as it is, and only the new parts are copied.

/** A deep-frozen copy of a JSON-like value that shares its parts that are deep-frozen already. */
function frozenCopy(value: unknown): unknown {
  if (typeof value !== "object" || value === null || immutable(value)) return value;
  if (!isPlain(value)) return deepFreeze(structuredClone(value));
  return Object.freeze(Array.isArray(value) ? value.map(frozenCopy) : copyOfObject(value as Readonly<Record<string, unknown>>));
}

function copyOfObject(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  for (const key of Object.keys(value)) {
    const child = frozenCopy(value[key]);
    // A key named "__proto__" (a JSON document may have one) is a property, never the prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: child, enumerable: true, writable: true, configurable: true });
    else copy[key] = child;
  }
  return copy;
}

// Only plain objects and arrays: a frozen Date (or Map) still changes through its methods.
const isPlain = (value: object) => Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;

function immutable(value: object): boolean {
  if (!Object.isFrozen(value) || !isPlain(value)) return false;
  for (const child of Object.values(value)) if (typeof child === "object" && child !== null && !immutable(child)) return false;
  return true;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
