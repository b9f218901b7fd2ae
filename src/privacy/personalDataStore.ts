import type { NewEvent, RecordedEvent } from "../events/envelope.js";
import type { EventStore, Subscription, UniqueConstraint } from "../events/eventStore.js";
import { ERASED, personalFields, SEALED } from "../events/personalData.js";
import type { OpenBatch } from "./openBatch.js";
import { parallelOpener, type ParallelOpener } from "./parallelOpen.js";
import { eventAad, openFields, SealBroken, sealedNames, sealFields } from "./sealing.js";
import { masterKeyMismatch, type SubjectKey, type Vault, type WrappedKey } from "./vault.js";
import { KEY_BYTES } from "./wrapping.js";

/** What readers get: personal fields decrypted (`open`), or only the erased ones replaced, the rest left sealed (`redact`, for exports). */
export type ReadMode = "open" | "redact";

/** A personal value given for a user whose key is erased: it could never be read back. */
export class PersonalDataErased extends Error {
  override readonly name = "PersonalDataErased";
}

const ERASURE = "user.personal.data.erased";
const subjectOf = (stream: string) => (stream.startsWith("user-") ? stream.slice("user-".length) : undefined);
export const isSealed = (data: unknown): data is Record<string, unknown> => typeof data === "object" && data !== null && SEALED in data;

/** Opens events read from anywhere (the log, an export file) as the store layer does. */
export function createOpener(vault: Vault, mode: ReadMode = "open"): (event: RecordedEvent) => RecordedEvent | Promise<RecordedEvent> {
  return (event) => {
    const subject = subjectOf(event.stream);
    if (subject !== undefined && event.type === ERASURE) vault.forget(subject);
    if (subject === undefined || !isSealed(event.data)) return event;
    const key = vault.cached(subject);
    return key !== undefined ? opened(event, key, mode) : vault.keyToOpen(subject).then((loaded) => opened(event, loaded, mode));
  };
}

const allowedFields = (event: RecordedEvent) => personalFields[event.type]?.fields ?? [];

function opened(event: RecordedEvent, key: SubjectKey, mode: ReadMode): RecordedEvent {
  if (key === "erased") return erasedFields(event);
  if (mode === "redact") return event;
  const { [SEALED]: sealed, ...rest } = event.data as Record<string, unknown>;
  return { ...event, data: { ...rest, ...openFields(key, eventAad(event.stream, event.type), sealed as string, allowedFields(event)) } };
}

/** The event with each of its sealed fields read as "[erased]". */
function erasedFields(event: RecordedEvent): RecordedEvent {
  const { [SEALED]: sealed, ...rest } = event.data as Record<string, unknown>;
  return { ...event, data: { ...rest, ...Object.fromEntries(sealedNames(sealed, allowedFields(event)).map((name) => [name, ERASED])) } };
}

// A long read (a replay, an export) is opened a chunk at a time: the chunk's keys in one read of the
// key store, its AES-GCM (the keys' unwrapping and the events' opening) on the worker while the
// reader consumes the chunks before it. A few chunks are out at once, so that the worker is never
// waited for while it still has work queued.
const CHUNK = 512;
const CHUNKS_AHEAD = 3;

type Slot = RecordedEvent | { readonly failed: unknown };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * `open`, in chunks read ahead of the consumer: events come out in order, and a failure where its
 * event stood. An iterator by hand rather than an async generator, as mapEvents is: every event of
 * a replay comes out of it.
 */
function openInChunks(events: AsyncIterable<RecordedEvent>, vault: Vault, mode: ReadMode, parallel: ParallelOpener): AsyncIterable<RecordedEvent> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = events[Symbol.asyncIterator]();
      let ended = false;
      const take = async () => {
        const chunk: RecordedEvent[] = [];
        while (!ended && chunk.length < CHUNK) {
          const next = await iterator.next();
          if (next.done) ended = true;
          else chunk.push(next.value);
        }
        return chunk;
      };
      // Chunks are read and given their keys one after the other, in the log's order (an erasure
      // forgets a key for the events after it); only their decryption overlaps.
      let planned: Promise<unknown> = Promise.resolve();
      const prepare = (): Promise<Slot[]> => {
        const plan = planned.then(async () => planChunk(await take(), vault, mode));
        planned = plan;
        const slots = plan.then((chunk) => openChunk(chunk, parallel, vault));
        slots.catch(() => {});
        return slots;
      };
      const ahead: Promise<Slot[]>[] = [];
      let slots: readonly Slot[] = [];
      let at = 0;
      let closed = false;
      // As a generator's `finally`: the chunks still out are waited for, and the read below is closed.
      const close = async () => {
        closed = true;
        slots = [];
        await Promise.allSettled(ahead);
        await iterator.return?.();
      };
      const failed = async (error: unknown): Promise<never> => {
        if (!closed) await close();
        throw error;
      };
      const nextChunk = async (): Promise<IteratorResult<RecordedEvent>> => {
        while (ahead.length < CHUNKS_AHEAD && !ended) ahead.push(prepare());
        const chunk = await (ahead.shift() ?? Promise.resolve([]));
        if (chunk.length === 0) {
          await close();
          return DONE;
        }
        slots = chunk;
        at = 0;
        return next();
      };
      const next = (): Promise<IteratorResult<RecordedEvent>> => {
        if (closed) return Promise.resolve(DONE);
        if (at === slots.length) return nextChunk().catch(failed);
        const slot = slots[at++]!;
        return "failed" in slot ? failed(slot.failed) : Promise.resolve({ done: false, value: slot });
      };
      return {
        next,
        async return() {
          if (!closed) await close();
          return DONE;
        },
      };
    },
  };
}

/** A chunk with its keys found: the events that need no decryption as they will be read, the others still sealed, and the batch that opens them. */
interface PlannedChunk {
  readonly slots: Slot[];
  readonly batch: OpenBatch;
  /** Per wrapped key of the batch: its subject, for the vault to cache the key once unwrapped, and the slot of the first event that needs it. */
  readonly wrappedFor: readonly { readonly subject: string; readonly slot: number }[];
  /** The slot of each of the batch's items. */
  readonly waiting: readonly number[];
}

/** A chunk's keys as its batch holds them: each subject's once, unwrapped already or still wrapped. */
function batchKeys() {
  const index = new Map<string, number>();
  // `undefined` where a wrapped key goes: the worker unwraps it into its place.
  const unwrapped: (Buffer | undefined)[] = [];
  const wrapped: [number, string, string][] = [];
  const wrappedFor: { subject: string; slot: number }[] = [];
  let wrappingKey: Buffer | undefined;
  return {
    /** The key's index in the batch; `slot`: the event that needs it. */
    indexOf(subject: string, key: Buffer | WrappedKey, slot: number): number {
      let at = index.get(subject);
      if (at !== undefined) return at;
      index.set(subject, (at = unwrapped.length));
      if (Buffer.isBuffer(key)) unwrapped.push(key);
      else {
        unwrapped.push(undefined);
        wrapped.push([at, key.aad, key.wrapped]);
        wrappedFor.push({ subject, slot });
        wrappingKey = key.wrappingKey;
      }
      return at;
    },
    // Copied into buffers of their own: a Buffer may be a view of Node's shared pool, and the
    // message to the worker would carry the whole pool with it.
    done() {
      const keys = new Uint8Array(unwrapped.length * KEY_BYTES);
      unwrapped.forEach((key, i) => key && keys.set(key, i * KEY_BYTES));
      return { keys, wrappingKey: wrappingKey && Uint8Array.from(wrappingKey), wrapped, wrappedFor };
    },
  };
}

async function planChunk(chunk: readonly RecordedEvent[], vault: Vault, mode: ReadMode): Promise<PlannedChunk> {
  const slots: Slot[] = [];
  const keys = batchKeys();
  const items = { keyIndexes: [] as number[], streams: [] as string[], types: [] as string[], sealed: [] as string[] };
  const waiting: number[] = [];
  const subjects = chunk.map((event) => subjectOf(event.stream));
  const sealedSubjects = new Set<string>();
  chunk.forEach((event, i) => {
    const subject = subjects[i];
    if (subject !== undefined && isSealed(event.data)) sealedSubjects.add(subject);
  });
  // A key store that fails here fails again where its first event stands, and is reported there.
  const prefetched = await vault.prefetch(sealedSubjects).catch(() => new Map<string, WrappedKey>());
  for (let i = 0; i < chunk.length; i++) {
    const event = chunk[i]!;
    const subject = subjects[i];
    try {
      if (subject !== undefined && event.type === ERASURE) vault.forget(subject);
      if (subject === undefined || !isSealed(event.data)) {
        slots.push(event);
        continue;
      }
      // The cache first: an erasure earlier in the chunk has put "erased" there.
      const key = vault.cached(subject) ?? prefetched.get(subject) ?? (await vault.keyToOpen(subject));
      if (key === "erased") {
        slots.push(erasedFields(event));
        continue;
      }
      // A key is unwrapped even for an event that stays sealed (an export): one that does not unwrap fails the read there.
      const keyIndex = keys.indexOf(subject, key, slots.length);
      if (mode === "redact") {
        slots.push(event);
        continue;
      }
      // The batch checks the rest of the sealed value (names, contents), where it opens it.
      const sealed = (event.data as Record<string, unknown>)[SEALED];
      if (typeof sealed !== "string") throw new SealBroken("not a sealed value");
      items.keyIndexes.push(keyIndex);
      items.streams.push(event.stream);
      items.types.push(event.type);
      items.sealed.push(sealed);
      waiting.push(slots.length);
      slots.push(event);
    } catch (failed) {
      // Nothing after a failure is read: the consumer stops there.
      slots.push({ failed });
      break;
    }
  }
  const { wrappedFor, ...batchKeysOf } = keys.done();
  return { slots, batch: { ...batchKeysOf, items }, wrappedFor, waiting };
}

async function openChunk({ slots, batch, wrappedFor, waiting }: PlannedChunk, parallel: ParallelOpener, vault: Vault): Promise<Slot[]> {
  if (batch.items.sealed.length === 0 && batch.wrapped.length === 0) return slots;
  const { unwrapped, notUnwrapped, opened } = await parallel.open(batch);
  const fields = JSON.parse(opened) as (Record<string, unknown> | string | null)[];
  waiting.forEach((slot, i) => {
    const opening = fields[i];
    if (typeof opening === "object" && opening !== null) slots[slot] = withFields(slots[slot] as RecordedEvent, opening);
    else slots[slot] = { failed: new SealBroken(opening ?? "its key did not unwrap") };
  });
  // A key that did not unwrap fails the read where it was first needed, before any event that used it.
  const mismatched = new Set(notUnwrapped);
  batch.wrapped.forEach(([index], i) => {
    const { subject, slot } = wrappedFor[i]!;
    if (mismatched.has(index)) slots[slot] = { failed: masterKeyMismatch() };
    else vault.adopt(subject, Buffer.from(unwrapped.buffer, unwrapped.byteOffset + i * KEY_BYTES, KEY_BYTES));
  });
  return slots;
}

/** The event with its sealed value replaced by the fields it opens to, after its other fields as before. */
function withFields(event: RecordedEvent, fields: Record<string, unknown>): RecordedEvent {
  const data = event.data as Record<string, unknown>;
  const names = Object.keys(data);
  // Most sealed events hold nothing but their sealed value: the fields (parsed for this event alone) are the data.
  if (names.length === 1 && names[0] === SEALED) return { ...event, data: fields };
  const { [SEALED]: _sealed, ...rest } = data;
  return { ...event, data: { ...rest, ...fields } };
}

/**
 * The one layer every reader and writer of the log goes through (below the schema check): on
 * append, a user's personal fields (src/events/personalData.ts) are sealed with the user's key and
 * userNames in unique constraints become keyed hashes; on read they are opened again, or read
 * "[erased]" once the key is gone. Reducers, audit and subscribers see plaintext; an export
 * (`redact`) keeps the live users' fields sealed.
 */
export function withPersonalData(store: EventStore, vault: Vault, mode: ReadMode = "open", parallel: ParallelOpener = parallelOpener): EventStore {
  const seal = async (stream: string, event: NewEvent): Promise<NewEvent> => {
    const spec = personalFields[event.type];
    const subject = subjectOf(stream);
    if (!spec || subject === undefined || isSealed(event.data)) return event;
    const data = event.data as Record<string, unknown>;
    const personal = Object.fromEntries(spec.fields.filter((name) => data[name] !== undefined).map((name) => [name, data[name]]));
    if (Object.keys(personal).length === 0) return event;
    const key = await vault.key(subject, spec.newKey);
    if (key === undefined) return event;
    if (key === "erased") {
      // An import of an export that was redacted already: nothing personal is left to protect.
      if (Object.values(personal).every((value) => value === ERASED)) return event;
      throw new PersonalDataErased(`user ${subject}'s personal data is erased; ${event.type} cannot add to it`);
    }
    const rest = Object.fromEntries(Object.entries(data).filter(([name]) => !(name in personal)));
    return { ...event, data: { ...rest, [SEALED]: sealFields(key, eventAad(stream, event.type), personal) } };
  };
  const hashed = (constraints: readonly UniqueConstraint[] | undefined) =>
    constraints?.map((constraint) => (constraint.name === "usernames" ? { ...constraint, value: vault.hashUnique(constraint.value) } : constraint));

  const open = createOpener(vault, mode);

  return {
    async append(stream, events, options) {
      const sealed: NewEvent[] = [];
      for (const event of events) sealed.push(await seal(stream, event));
      const uniqueConstraints = hashed(options.uniqueConstraints);
      const result = await store.append(stream, sealed, uniqueConstraints ? { ...options, uniqueConstraints } : options);
      // The caller gets back what it appended, in plaintext.
      return { ...result, events: result.events.map((recorded, i) => ({ ...recorded, data: events[i]!.data })) };
    },
    checkUnique: (stream, constraints) => store.checkUnique(stream, hashed(constraints)!),
    async readStream(stream, options) {
      const events = await store.readStream(stream, options);
      const subject = subjectOf(stream);
      if (subject !== undefined && events.some((event) => event.type === ERASURE)) vault.forget(subject);
      const out: RecordedEvent[] = [];
      for (const event of events) out.push(await open(event));
      return out;
    },
    readAll: (options) => openInChunks(store.readAll(options), vault, mode, parallel),
    subscribe(options): Subscription {
      const inner = store.subscribe(options);
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) yield await open(event);
        },
      };
    },
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
}
