import { assertExpiryAlone, type Doc, type ReadModel, type Write } from "../readModel.js";

interface Stored {
  readonly doc: Doc;
  readonly indexes: Readonly<Record<string, string>>;
  /** When the document goes (ms since the epoch); none: it stays until deleted. */
  readonly expiresAt?: number;
}

/** A document that expires, in the order its expiry was set. */
interface Expiring {
  readonly collection: string;
  readonly id: string;
  readonly expiresAt: number;
}

/** The embedded read model: plain maps, rebuilt from the log on every start. */
export function createMemoryReadModel(): ReadModel {
  // Per collection, so that a read builds no key: collection -> id -> stored document.
  const docs = new Map<string, Map<string, Stored>>();
  // `${collection}\0${index}\0${value}` -> ids
  const indexes = new Map<string, Set<string>>();
  let checkpoint: bigint | undefined;
  // Expiring documents as they were put. Their lifetimes are mostly one configured length, so this
  // is mostly in expiry order: each commit takes the expired ones off its front and stops at the
  // first that is not (one that expires sooner behind it goes when that one does, and reads as gone
  // at once). A put again or a delete leaves a stale entry, skipped when its turn comes.
  const expiring: Expiring[] = [];
  let expiringFrom = 0;

  const collectionOf = (collection: string) => {
    let stored = docs.get(collection);
    if (!stored) docs.set(collection, (stored = new Map()));
    return stored;
  };
  const indexKey = (collection: string, index: string, value: string) => `${collection}\0${index}\0${value}`;

  const same = (entries: Readonly<Record<string, string>>, index: string, value: string) => Object.hasOwn(entries, index) && entries[index] === value;

  function apply(write: Write, now: number) {
    // Expired already (a replay of an old grant): stored as its deletion.
    if (write.op === "put" && write.expiresAt !== undefined && write.expiresAt <= now) write = { op: "delete", collection: write.collection, id: write.id };
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
    if (write.expiresAt === undefined) stored.set(write.id, { doc: frozenCopy(write.doc) as Doc, indexes: after });
    else {
      stored.set(write.id, { doc: frozenCopy(write.doc) as Doc, indexes: after, expiresAt: write.expiresAt });
      expiring.push({ collection: write.collection, id: write.id, expiresAt: write.expiresAt });
    }
    for (const [index, value] of Object.entries(after)) {
      if (same(before, index, value)) continue;
      const ik = indexKey(write.collection, index, value);
      const ids = indexes.get(ik) ?? new Set<string>();
      ids.add(write.id);
      indexes.set(ik, ids);
    }
  }

  function dropExpired(now: number) {
    while (expiringFrom < expiring.length && expiring[expiringFrom]!.expiresAt <= now) {
      const { collection, id, expiresAt } = expiring[expiringFrom++]!;
      const stored = docs.get(collection);
      if (stored?.get(id)?.expiresAt === expiresAt) stored.delete(id);
    }
    // The front that was taken off is given back in one go, once it is most of the list.
    if (expiringFrom > 1024 && expiringFrom * 2 > expiring.length) {
      expiring.splice(0, expiringFrom);
      expiringFrom = 0;
    }
  }

  return {
    async get<T extends Doc>(collection: string, id: string) {
      const stored = docs.get(collection)?.get(id);
      if (stored?.expiresAt !== undefined && stored.expiresAt <= Date.now()) return undefined;
      return stored?.doc as T | undefined;
    },
    async find(collection, index, value) {
      return [...(indexes.get(indexKey(collection, index, value)) ?? [])].sort();
    },
    async commit(writes, position) {
      assertExpiryAlone(writes);
      // Synchronous from here on: no reader can observe half a batch.
      const now = Date.now();
      for (const write of writes) apply(write, now);
      dropExpired(now);
      checkpoint = position;
    },
    async checkpoint() {
      return checkpoint;
    },
    async close() {
      docs.clear();
      indexes.clear();
      expiring.length = 0;
      expiringFrom = 0;
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
