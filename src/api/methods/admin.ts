import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { JsonObject } from "@bufbuild/protobuf";
import { AdminService, type ListEventsRequest } from "@zitadel/proto/zitadel/admin_pb.js";
import { aggregateOf, aggregateTypes } from "../../audit/aggregate.js";
import type { AuditEntry } from "../../audit/auditLog.js";
import type { EventFilter } from "../../audit/eventFilter.js";
import { localizedAggregateType, localizedEventType } from "../../audit/localized.js";
import { eventScope } from "../../audit/scope.js";
import { eventTypes } from "../../events/registry.js";
import type { ServedMethod } from "../pipeline.js";
import { handle, servedMethods, type MethodDeps } from "./table.js";

const { method } = AdminService;

/** zitadel.event.v1.Event; its `sequence` is the event's global position, the one ListEvents pages by. */
const eventPb = ({ event, payload, editor }: AuditEntry) => {
  const aggregate = aggregateOf(event);
  return {
    editor: { userId: editor.userId, displayName: editor.displayName, service: "" },
    aggregate: { id: aggregate.id, type: { type: aggregate.type, localized: localizedAggregateType(aggregate.type) }, resourceOwner: event.metadata.resourceOwner },
    sequence: event.position,
    creationDate: timestampFromDate(new Date(event.metadata.createdAt)),
    payload: payload as JsonObject,
    type: { type: event.type, localized: localizedEventType(event.type) },
  };
};

/** ZITADEL's creation date filters: a range, or one date that bounds the events in reading order. */
function creationDates(request: ListEventsRequest): Pick<EventFilter, "since" | "until"> {
  const bound = (date: Timestamp | undefined) => (date ? timestampDate(date) : undefined);
  const filter = request.creationDateFilter;
  if (filter.case === "range") return { since: bound(filter.value.since), until: bound(filter.value.until) };
  const from = bound(filter.case === "from" ? filter.value : request.creationDate);
  if (!from) return {};
  return request.asc ? { since: from } : { until: from };
}

/** The AdminService methods idledger serves: the event log as ZITADEL's admin API shows it. */
export function createAdminMethods({ queries, audit }: MethodDeps): ReadonlyMap<string, ServedMethod> {
  return servedMethods(
    AdminService,
    [
      handle(method.listEvents, async (request, caller) => {
        const filter: EventFilter = {
          sequence: request.sequence,
          limit: request.limit,
          asc: request.asc,
          editorUserId: request.editorUserId,
          // At most 30 and 10 (the descriptors' max_items, checked before this handler runs).
          eventTypes: new Set(request.eventTypes),
          aggregateId: request.aggregateId,
          aggregateTypes: new Set(request.aggregateTypes),
          resourceOwner: request.resourceOwner,
          ...creationDates(request),
        };
        return { events: (await audit.events(filter, await eventScope(queries, caller))).map(eventPb) };
      }),
      handle(method.listEventTypes, async () => ({
        eventTypes: eventTypes().map(({ type }) => ({ type, localized: localizedEventType(type) })),
      })),
      handle(method.listAggregateTypes, async () => ({
        aggregateTypes: aggregateTypes.map((type) => ({ type, localized: localizedAggregateType(type) })),
      })),
    ],
    queries,
  );
}
