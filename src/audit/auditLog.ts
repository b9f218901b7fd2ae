import { fail } from "../errors.js";
import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore } from "../events/eventStore.js";
import { userStream } from "../events/user.js";
import type { ReadModel } from "../projections/readModel.js";
import { editorLookup, type Editor } from "./editors.js";
import { matchesFilter, type EventFilter } from "./eventFilter.js";
import { redactPayload } from "./redact.js";
import { inScope, type EventScope } from "./scope.js";

/** One entry of the audit answers: the event with its payload redacted and its editor resolved. */
export interface AuditEntry {
  readonly event: RecordedEvent;
  readonly payload: unknown;
  readonly editor: Editor;
}

/** zitadel.change.v1.ChangeQuery. */
export interface ChangeQuery {
  readonly sequence: number;
  readonly limit: number;
  readonly asc: boolean;
}

/** Answers when a request sets no limit, and the most one page may hold. */
export const DEFAULT_LIMIT = 1000;

const pageSize = (limit: number) => (limit > 0 ? Math.min(limit, DEFAULT_LIMIT) : DEFAULT_LIMIT);

/** Events one ListEvents page may read at most, unless configured otherwise. */
export const DEFAULT_MAX_SCANNED_EVENTS = 100_000;

export interface AuditLogOptions {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  /** The most events one ListEvents page reads, matching or not. */
  readonly maxScannedEvents?: number;
}

/** The audit reads: straight from the log through the EventStore port, so every adapter serves them. */
export function createAuditLog({ store, readModel, maxScannedEvents = DEFAULT_MAX_SCANNED_EVENTS }: AuditLogOptions) {
  const entries = async (events: readonly RecordedEvent[]): Promise<AuditEntry[]> => {
    const editorOf = editorLookup(readModel);
    return Promise.all(events.map(async (event) => ({ event, payload: redactPayload(event.data), editor: await editorOf(event.metadata.editorUser) })));
  };

  return {
    /**
     * ZITADEL's UserChanges: events of the user's stream whose sequence (revision + 1) is greater
     * than `query.sequence`, oldest or newest first; NotFound when there are none, as in ZITADEL.
     * A user of another org is not found. Only the page is read (and opened): a user's history has
     * no length limit, and reading all of it would hold the event loop for as long as it is long.
     */
    async userChanges(userId: string, orgId: string, query: ChangeQuery): Promise<AuditEntry[]> {
      const stream = userStream(userId);
      const [first] = await store.readStream(stream, { maxCount: 1 });
      if (first?.metadata.resourceOwner !== orgId) return fail("userNotFoundQuery");
      const limit = pageSize(query.limit);
      // Sequence s is revision s - 1: the events after it start at revision s.
      const page = query.asc
        ? await store.readStream(stream, { fromRevision: Math.min(Math.max(0, Math.floor(query.sequence)), Number.MAX_SAFE_INTEGER), maxCount: limit })
        : (await store.readStream(stream, { direction: "backwards", maxCount: limit })).filter((event) => event.revision + 1 > query.sequence);
      if (page.length === 0) return fail("changesNotFound");
      return entries(page);
    },

    /**
     * ZITADEL's ListEvents over the whole log, `sequence` being the global position: oldest first
     * after it, or newest first before it (read backwards, never from the start). A page stops
     * after `maxScannedEvents` events read, with the matches found so far: however sparse the
     * filter, one request costs at most that much.
     */
    async events(filter: EventFilter, scope: EventScope): Promise<AuditEntry[]> {
      const limit = pageSize(filter.limit);
      // Positions are int64 in every store: nothing lies after one beyond that, everything before it.
      const beyondLog = filter.sequence > MAX_POSITION;
      if (filter.asc && beyondLog) return [];
      const from = filter.asc ? filter.sequence : filter.sequence > 0n && !beyondLog ? filter.sequence : undefined;
      const page: RecordedEvent[] = [];
      const read = store.readAll({ from, direction: filter.asc ? "forwards" : "backwards", maxCount: maxScannedEvents });
      for await (const event of read) {
        if (inScope(scope, event) && matchesFilter(filter, event)) page.push(event);
        if (page.length >= limit) break;
      }
      return entries(page);
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

const MAX_POSITION = 2n ** 63n - 1n;
