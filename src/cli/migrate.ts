import { createHash } from "node:crypto";
import type { RecordedEvent } from "../events/envelope.js";
import { UniqueConstraintViolation } from "../events/errors.js";
import type { EventStore, UniqueConstraint } from "../events/eventStore.js";
import { AppendBatch } from "./appendBatch.js";
import { claims } from "./importLog.js";

export interface MigrateOptions {
  /** What each event claims; default `claims`, which needs the event opened (src/cli/sealedClaims.ts for sealed ones). */
  readonly claimsOf?: (event: RecordedEvent) => UniqueConstraint[];
  /** Events handled since the last call: copied or found already there, then verified. */
  readonly onProgress?: (progress: { readonly phase: "copy" | "verify"; readonly events: number }) => void;
}

/** A stream's count and sha256 (over id in lower case, type, data and metadata of each event in order) in one store. */
export interface StreamChecksum {
  readonly events: number;
  readonly checksum: string;
}

export interface StreamMismatch {
  readonly stream: string;
  readonly source: StreamChecksum;
  readonly target: StreamChecksum;
}

export interface MigrateReport {
  readonly streams: number;
  readonly events: number;
  readonly copied: number;
  /** Events the target held already (an earlier, interrupted run). */
  readonly alreadyThere: number;
  /** Streams left as the target has them: it holds other events there, or a unique value is taken. */
  readonly diverged: readonly { readonly stream: string; readonly reason: string }[];
  /** Streams whose count or checksum differs between source and target after copying. */
  readonly mismatched: readonly StreamMismatch[];
  readonly ok: boolean;
}

// Ids are UUIDs, whose case means nothing: EventStoreDB keeps a GUID and answers in lower case.
const sameId = (id: string) => id.toLowerCase();

/**
 * Copies every stream of `source` into `target` in the source's log order, each event at its
 * revision with its id, type, data and metadata, unique values claimed as `importLog` claims them,
 * in appends that EventStoreDB takes (appendBatch.ts).
 * What the target already holds of a stream is skipped when its ids are the source's, so a run
 * after an interruption carries on; a stream the target holds differently is reported, never
 * overwritten. Then compares every stream's count and checksum in both stores.
 */
export async function migrate(source: EventStore, target: EventStore, { onProgress = () => {}, claimsOf = claims }: MigrateOptions = {}): Promise<MigrateReport> {
  const streams = new Map<string, { readonly targetIds: readonly string[]; sourceEvents: number }>();
  const diverged = new Map<string, string>();
  const batch = new AppendBatch(claimsOf);
  let events = 0;
  let copied = 0;
  let alreadyThere = 0;

  const append = async () => {
    const { events: appending, claims: uniqueConstraints } = batch.take();
    const first = appending[0];
    if (!first) return;
    try {
      await target.append(
        first.stream,
        appending.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })),
        { expectedRevision: first.revision === 0 ? "no_stream" : first.revision - 1, uniqueConstraints },
      );
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolation)) throw error;
      diverged.set(first.stream, `a ${error.constraint.name} value of revision ${first.revision}..${first.revision + appending.length - 1} is taken in the target`);
      return;
    }
    copied += appending.length;
    onProgress({ phase: "copy", events: appending.length });
  };

  for await (const event of source.readAll()) {
    events++;
    let stream = streams.get(event.stream);
    if (!stream) {
      stream = { targetIds: (await target.readStream(event.stream)).map(({ id }) => sameId(id)), sourceEvents: 0 };
      streams.set(event.stream, stream);
    }
    if (event.revision !== stream.sourceEvents) throw new Error(`source ${event.stream}: revision ${event.revision}, expected ${stream.sourceEvents}`);
    stream.sourceEvents++;
    if (!batch.takes(event)) await append();
    if (diverged.has(event.stream)) continue;

    const there = stream.targetIds[event.revision];
    if (there === undefined) batch.add(event);
    else if (there === sameId(event.id)) {
      alreadyThere++;
      onProgress({ phase: "copy", events: 1 });
    } else diverged.set(event.stream, `revision ${event.revision} is event ${there} in the target, ${event.id} in the source`);
  }
  await append();
  for (const [name, { targetIds, sourceEvents }] of streams) {
    if (targetIds.length > sourceEvents && !diverged.has(name)) diverged.set(name, `the target holds ${targetIds.length} events, the source ${sourceEvents}`);
  }

  const mismatched: StreamMismatch[] = [];
  for (const stream of streams.keys()) {
    const [inSource, inTarget] = await Promise.all([source.readStream(stream), target.readStream(stream)]);
    const [sourceSum, targetSum] = [streamChecksum(inSource), streamChecksum(inTarget)];
    if (sourceSum.events !== targetSum.events || sourceSum.checksum !== targetSum.checksum) mismatched.push({ stream, source: sourceSum, target: targetSum });
    onProgress({ phase: "verify", events: inSource.length });
  }

  return {
    streams: streams.size,
    events,
    copied,
    alreadyThere,
    diverged: [...diverged].map(([stream, reason]) => ({ stream, reason })),
    mismatched,
    ok: diverged.size === 0 && mismatched.length === 0,
  };
}

export function streamChecksum(events: readonly RecordedEvent[]): StreamChecksum {
  const hash = createHash("sha256");
  for (const { id, type, data, metadata } of events) hash.update(canonicalJson([sameId(id), type, data, metadata]) + "\n");
  return { events: events.length, checksum: hash.digest("hex") };
}

// Key order is the store's business, not the event's: both sides are hashed with keys sorted.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`)
    .join(",")}}`;
}
