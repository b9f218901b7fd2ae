import { defineEvent } from "./schema.js";
import { memberRemovedSchema, memberSchema, type MemberAdded, type MemberCascadeRemoved } from "./org.js";

/** idledger serves one instance; its stream holds the first-start setup. */
export const INSTANCE_STREAM = "instance";

export interface InstanceAdded {
  readonly instanceId: string;
  readonly name: string;
  /** Chosen at first start so that a crashed setup resumes with the same ids. */
  readonly defaultOrgId: string;
  readonly adminUserId: string;
}
export const instanceAdded = defineEvent<InstanceAdded>({
  type: "instance.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      instanceId: { type: "string", minLength: 1 },
      name: { type: "string", minLength: 1 },
      defaultOrgId: { type: "string", minLength: 1 },
      adminUserId: { type: "string", minLength: 1 },
    },
    required: ["instanceId", "name", "defaultOrgId", "adminUserId"],
    additionalProperties: false,
  },
});

export const instanceMemberAdded = defineEvent<MemberAdded>({
  type: "instance.member.added",
  schemaVersion: 1,
  schema: memberSchema,
});

export const instanceMemberCascadeRemoved = defineEvent<MemberCascadeRemoved>({
  type: "instance.member.cascade.removed",
  schemaVersion: 1,
  schema: memberRemovedSchema,
});

export type InstanceEvent =
  | { readonly type: "instance.added"; readonly data: InstanceAdded }
  | { readonly type: "instance.member.added"; readonly data: MemberAdded }
  | { readonly type: "instance.member.cascade.removed"; readonly data: MemberCascadeRemoved };

export const instanceEvents = [instanceAdded, instanceMemberAdded, instanceMemberCascadeRemoved];
