/** The org roles idledger knows (ZITADEL's `ORG_*` roles that its permissions map covers). */
export const ORG_ROLES = ["ORG_OWNER", "ORG_USER_MANAGER"] as const;

export type OrgRole = (typeof ORG_ROLES)[number];

export const isOrgRole = (role: string): boolean => (ORG_ROLES as readonly string[]).includes(role);

/** How many roles one AddOrgMember may name (duplicates included); ZITADEL's proto sets no bound. */
export const MAX_MEMBER_ROLES = 50;
