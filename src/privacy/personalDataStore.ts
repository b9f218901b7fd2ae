import type { NewEvent, RecordedEvent } from "../events/envelope.js";
import type { EventStore, Subscription, UniqueConstraint } from "../events/eventStore.js";
import { ERASED, personalFields, SEALED } from "../events/personalData.js";
import { parallelOpener, type ParallelOpener } from "./parallelOpen.js";
import { decrypt, openFields, SealBroken, sealedCiphertext, sealedContents, sealedNames, sealFields } from "./sealing.js";
import type { SubjectKey, Vault } from "./vault.js";

/** What readers get: personal fields decrypted (`open`), or only the erased ones replaced, the rest left sealed (`redact`, for exports). */
export type ReadMode = "open" | "redact";

/** A personal value given for a user whose key is erased: it could never be read back. */
export class PersonalDataErased extends Error {
  override readonly name = "PersonalDataErased";
}

const ERASURE = "user.personal.data.erased";
const subjectOf = (stream: string) => (stream.startsWith("user-") ? stream.slice("user-".length) : undefined);
const aadOf = (stream: string, type: string) => `${stream}\0${type}`;
const isSealed = (data: unknown): data is Record<string, unknown> => typeof data === "object" && data !== null && SEALED in data;

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
  const { [SEALED]: sealed, ...rest } = event.data as Record<string, unknown>;
  if (key === "erased") return { ...event, data: { ...rest, ...Object.fromEntries(sealedNames(sealed, allowedFields(event)).map((name) => [name, ERASED])) } };
  if (mode === "redact") return event;
  return { ...event, data: { ...rest, ...openFields(key, aadOf(event.stream, event.type), sealed as string, allowedFields(event)) } };
}

// A long read (a replay, an export) is opened a chunk at a time: the chunk's keys in one read of the
// key store, its AES-GCM on the worker while the reader consumes the chunks before it. A few chunks
// are out at once, so that the worker is never waited for while it still has work queued.
const CHUNK = 512;
const CHUNKS_AHEAD = 3;

type Slot = RecordedEvent | { readonly failed: unknown };

/** `open`, in chunks read ahead of the consumer: events come out in order, and a failure where its event stood. */
async function* openInChunks(events: AsyncIterable<RecordedEvent>, vault: Vault, mode: ReadMode, parallel: ParallelOpener): AsyncGenerator<RecordedEvent> {
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
    const slots = plan.then((chunk) => openChunk(chunk, parallel));
    slots.catch(() => {});
    return slots;
  };
  const ahead: Promise<Slot[]>[] = [];
  try {
    for (;;) {
      while (ahead.length < CHUNKS_AHEAD && !ended) ahead.push(prepare());
      const slots = await (ahead.shift() ?? Promise.resolve([]));
      if (slots.length === 0) return;
      for (const slot of slots) {
        if ("failed" in slot) throw slot.failed;
        yield slot;
      }
    }
  } finally {
    await Promise.allSettled(ahead);
    await iterator.return?.();
  }
}

/** A chunk with its keys found: the events that need no decryption as they will be read, the others still sealed. */
interface PlannedChunk {
  readonly slots: Slot[];
  readonly keys: Buffer[];
  readonly items: [number, string, string][];
  readonly waiting: { readonly slot: number; readonly names: readonly string[] }[];
}

async function planChunk(chunk: readonly RecordedEvent[], vault: Vault, mode: ReadMode): Promise<PlannedChunk> {
  const slots: Slot[] = [];
  const keys: Buffer[] = [];
  const keyIndex = new Map<string, number>();
  const items: [number, string, string][] = [];
  const waiting: { readonly slot: number; readonly names: readonly string[] }[] = [];
  const sealedSubjects = new Set<string>();
  for (const event of chunk) {
    const subject = subjectOf(event.stream);
    if (subject !== undefined && isSealed(event.data)) sealedSubjects.add(subject);
  }
  // A key store that fails here fails again where its first event stands, and is reported there.
  await vault.prefetch(sealedSubjects).catch(() => {});
  for (const event of chunk) {
    try {
      const subject = subjectOf(event.stream);
      if (subject !== undefined && event.type === ERASURE) vault.forget(subject);
      if (subject === undefined || !isSealed(event.data)) {
        slots.push(event);
        continue;
      }
      const key = vault.cached(subject) ?? (await vault.keyToOpen(subject));
      if (key === "erased" || mode === "redact") {
        slots.push(opened(event, key, mode));
        continue;
      }
      const sealed = (event.data as Record<string, unknown>)[SEALED];
      const names = sealedNames(sealed, allowedFields(event));
      let index = keyIndex.get(subject);
      if (index === undefined) keyIndex.set(subject, (index = keys.push(key) - 1));
      items.push([index, aadOf(event.stream, event.type), sealedCiphertext(sealed as string)]);
      waiting.push({ slot: slots.length, names });
      slots.push(event);
    } catch (failed) {
      // Nothing after a failure is read: the consumer stops there.
      slots.push({ failed });
      break;
    }
  }
  return { slots, keys, items, waiting };
}

async function openChunk({ slots, keys, items, waiting }: PlannedChunk, parallel: ParallelOpener): Promise<Slot[]> {
  const plaintexts = await parallel.open(keys, items);
  waiting.forEach(({ slot, names }, i) => {
    const event = slots[slot] as RecordedEvent;
    try {
      const [index, aad, ciphertext] = items[i]!;
      const plaintext = plaintexts ? plaintexts[i] : decrypt(keys[index]!, aad, ciphertext);
      if (plaintext === null || plaintext === undefined) throw new SealBroken("does not open under this key");
      const { [SEALED]: _sealed, ...rest } = event.data as Record<string, unknown>;
      slots[slot] = { ...event, data: { ...rest, ...sealedContents(names, plaintext) } };
    } catch (failed) {
      slots[slot] = { failed };
    }
  });
  return slots;
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
    return { ...event, data: { ...rest, [SEALED]: sealFields(key, aadOf(stream, event.type), personal) } };
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
