import { grants } from "../auth/roles.js";
import type { Caller } from "../commands/commands.js";
import { fail } from "../errors.js";
import type { RecordedEvent } from "../events/envelope.js";
import type { Queries } from "../queries/queries.js";

/** Which events a caller may read: all of them (an instance role), or those of one org (an org role). */
export type EventScope = { readonly kind: "instance" } | { readonly kind: "org"; readonly orgId: string };

export const EVENTS_READ = "events.read";

/** The widest scope in which the caller holds `events.read`; PermissionDenied when none. */
export async function eventScope(queries: Queries, caller: Caller): Promise<EventScope> {
  if (grants(await queries.roles("instance", caller.userId), EVENTS_READ)) return { kind: "instance" };
  if (grants(await queries.roles(caller.orgId, caller.userId), EVENTS_READ)) return { kind: "org", orgId: caller.orgId };
  return fail("permissionDenied");
}

export const inScope = (scope: EventScope, event: RecordedEvent): boolean =>
  scope.kind === "instance" || event.metadata.resourceOwner === scope.orgId;
