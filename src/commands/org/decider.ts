import { applicableTo, foreignEvent, type Decider, type Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { OrgEvent } from "../../events/org.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import { isOrgRole } from "./roles.js";

export type OrgState =
  | { readonly kind: "absent" }
  | { readonly kind: "active"; readonly name: string; readonly members: ReadonlySet<string> };

export interface AddOrg {
  readonly type: "AddOrg";
  readonly name: string;
  /** The org's generated primary domain, e.g. `acme.localhost`. */
  readonly domain: string;
  /** Becomes ORG_OWNER, as the creator does in ZITADEL. */
  readonly ownerId: string;
}

export interface AddOrgMember {
  readonly type: "AddOrgMember";
  readonly userId: string;
  readonly roles: readonly string[];
}

/** The member's user was removed: its membership goes with it (nothing when it had none). */
export interface CascadeRemoveOrgMember {
  readonly type: "CascadeRemoveOrgMember";
  readonly userId: string;
}

export type OrgCommand = AddOrg | AddOrgMember | CascadeRemoveOrgMember;


function decide(command: OrgCommand, state: OrgState): Decision<OrgEvent> {
  switch (command.type) {
    case "AddOrg": {
      if (state.kind !== "absent") return fail("orgNameTaken");
      const domain = { domain: command.domain };
      return {
        events: [
          { type: "org.added", data: { name: command.name } },
          { type: "org.domain.added", data: domain },
          { type: "org.domain.verified", data: domain },
          { type: "org.domain.primary.set", data: domain },
          { type: "org.member.added", data: { userId: command.ownerId, roles: ["ORG_OWNER"] } },
        ],
        uniqueConstraints: [uniqueConstraint("orgnames", "add", command.name), uniqueConstraint("orgdomains", "add", command.domain)],
      };
    }
    case "AddOrgMember":
      if (state.kind === "absent") return fail("orgNotFound");
      if (command.roles.length === 0) return fail("memberInvalid");
      if (!command.roles.every(isOrgRole)) return fail("memberRolesInvalid");
      if (state.members.has(command.userId)) return fail("memberAlreadyExists");
      return { events: [{ type: "org.member.added", data: { userId: command.userId, roles: [...new Set(command.roles)] } }] };
    case "CascadeRemoveOrgMember":
      if (state.kind === "absent" || !state.members.has(command.userId)) return { events: [] };
      return { events: [{ type: "org.member.cascade.removed", data: { userId: command.userId } }] };
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
}

export const orgDecider: Decider<OrgState, OrgCommand, OrgEvent> = {
  initialState: () => ({ kind: "absent" }),
  evolve(state, event) {
    switch (event.type) {
      case "org.added":
        applicableTo(state, event, "absent");
        return { kind: "active", name: event.data.name, members: new Set() };
      case "org.member.added": {
        const org = applicableTo(state, event, "active");
        return { ...org, members: new Set([...org.members, event.data.userId]) };
      }
      case "org.member.cascade.removed": {
        const org = applicableTo(state, event, "active");
        return { ...org, members: new Set([...org.members].filter((id) => id !== event.data.userId)) };
      }
      case "org.domain.added":
      case "org.domain.verified":
      case "org.domain.primary.set":
        return applicableTo(state, event, "active");
      default:
        return foreignEvent(event);
    }
  },
  decide,
};
