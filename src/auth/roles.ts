import type { OrgRole } from "../commands/org/roles.js";

/**
 * Role -> permissions, a subset of ZITADEL's default RolePermissionMappings (cmd/defaults.yaml)
 * covering the permissions the served methods ask for in their `zitadel.v1.auth_option`.
 */
const rolePermissions: Readonly<Record<string, readonly string[]>> = {
  IAM_OWNER: ["*"],
  // events.read: idledger lets an org owner read its own org's events (src/audit/scope.ts).
  ORG_OWNER: ["org.read", "org.write", "org.create", "org.member.read", "org.member.write", "user.read", "user.write", "events.read"],
  ORG_USER_MANAGER: ["org.read", "user.read", "user.write"],
  // Every org role AddOrgMember accepts must have its permissions here: the compiler checks it.
} satisfies Record<"IAM_OWNER" | OrgRole, readonly string[]>;

export const grants = (roles: readonly string[], permission: string): boolean =>
  roles.some((role) => rolePermissions[role]?.some((p) => p === "*" || p === permission) ?? false);

/**
 * True when `holder` is granted every permission that `roles` carry: touching a user who holds
 * `roles` (or handing them out) gives `holder` nothing it lacks. A role this table does not know
 * counts as all-powerful, so only an instance owner covers it.
 */
export const coversRoles = (holder: readonly string[], roles: readonly string[]): boolean =>
  roles.every((role) => (rolePermissions[role] ?? ["*"]).every((permission) => grants(holder, permission)));
