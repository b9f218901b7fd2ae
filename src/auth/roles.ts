import type { OrgRole } from "../commands/org/roles.js";

/**
 * Role -> permissions: ZITADEL's default RolePermissionMappings (cmd/defaults.yaml, InternalAuthZ)
 * for the roles idledger knows, so a role grants what it grants in ZITADEL.
 */
const ORG_USER_MANAGER = [
  "org.read",
  "user.read",
  "user.global.read",
  "user.write",
  "user.delete",
  "user.grant.read",
  "user.grant.write",
  "user.grant.delete",
  "user.membership.read",
  "user.feature.read",
  "user.feature.write",
  "user.feature.delete",
  "policy.read",
  "project.read",
  "project.role.read",
  "session.read",
  "session.delete",
];
// ZITADEL's ORG_OWNER, plus two of idledger's: `org.create` (AddOrg), and `events.read` on its own
// org so that org owners can audit (src/audit/scope.ts).
const ORG_OWNER = [
  ...new Set([
    ...ORG_USER_MANAGER,
    ...["org.global.read", "org.write", "org.delete", "org.member.read", "org.member.write", "org.member.delete"],
    ...["org.idp.read", "org.idp.write", "org.idp.delete", "org.action.read", "org.action.write", "org.action.delete"],
    ...["org.flow.read", "org.flow.write", "org.flow.delete", "org.feature.read", "org.feature.write", "org.feature.delete"],
    ...["user.credential.write", "user.passkey.write", "policy.write", "policy.delete"],
    ...["project.create", "project.write", "project.delete", "project.member.read", "project.member.write", "project.member.delete"],
    ...["project.role.write", "project.role.delete", "project.app.read", "project.app.write"],
    ...["project.grant.read", "project.grant.write", "project.grant.delete"],
    ...["project.grant.member.read", "project.grant.member.write", "project.grant.member.delete"],
    ...["org.create", "events.read"],
  ]),
];

/**
 * idledger's own, for `POST /privacy/v1/users/{id}/_erase`: an instance-level permission that no
 * org role carries, so only an instance owner (IAM_OWNER's "*") may erase a user's personal data.
 */
export const ERASE_PERSONAL_DATA = "iam.user.personal.data.erase";

const rolePermissions: Readonly<Record<string, readonly string[]>> = {
  IAM_OWNER: ["*"],
  ORG_OWNER,
  ORG_USER_MANAGER,
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
