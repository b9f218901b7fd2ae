import { defineEvent } from "./schema.js";

export const orgStream = (orgId: string) => `org-${orgId}`;

export interface OrgAdded {
  readonly name: string;
}
export const orgAdded = defineEvent<OrgAdded>({
  type: "org.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { name: { type: "string", minLength: 1 } },
    required: ["name"],
    additionalProperties: false,
  },
});

export interface OrgDomain {
  readonly domain: string;
}
const domainSchema = {
  type: "object",
  properties: { domain: { type: "string", minLength: 1 } },
  required: ["domain"],
  additionalProperties: false,
} as const;

export const orgDomainAdded = defineEvent<OrgDomain>({ type: "org.domain.added", schemaVersion: 1, schema: domainSchema });
export const orgDomainVerified = defineEvent<OrgDomain>({ type: "org.domain.verified", schemaVersion: 1, schema: domainSchema });
export const orgDomainPrimarySet = defineEvent<OrgDomain>({ type: "org.domain.primary.set", schemaVersion: 1, schema: domainSchema });

export interface MemberAdded {
  readonly userId: string;
  readonly roles: string[];
}
export const memberSchema = {
  type: "object",
  properties: {
    userId: { type: "string", minLength: 1 },
    roles: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
  },
  required: ["userId", "roles"],
  additionalProperties: false,
} as const;

export const orgMemberAdded = defineEvent<MemberAdded>({ type: "org.member.added", schemaVersion: 1, schema: memberSchema });

/** ZITADEL's MemberCascadeRemovedEvent: the member's user was removed. */
export interface MemberCascadeRemoved {
  readonly userId: string;
}
export const memberRemovedSchema = {
  type: "object",
  properties: { userId: { type: "string", minLength: 1 } },
  required: ["userId"],
  additionalProperties: false,
} as const;
export const orgMemberCascadeRemoved = defineEvent<MemberCascadeRemoved>({ type: "org.member.cascade.removed", schemaVersion: 1, schema: memberRemovedSchema });

export type OrgEvent =
  | { readonly type: "org.added"; readonly data: OrgAdded }
  | { readonly type: "org.domain.added"; readonly data: OrgDomain }
  | { readonly type: "org.domain.verified"; readonly data: OrgDomain }
  | { readonly type: "org.domain.primary.set"; readonly data: OrgDomain }
  | { readonly type: "org.member.added"; readonly data: MemberAdded }
  | { readonly type: "org.member.cascade.removed"; readonly data: MemberCascadeRemoved };

export const orgEvents = [orgAdded, orgDomainAdded, orgDomainVerified, orgDomainPrimarySet, orgMemberAdded, orgMemberCascadeRemoved];
