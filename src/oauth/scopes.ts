import type { OrgView, UserView } from "../projections/views.js";
import { invalidRequest } from "./errors.js";

/** The scope a token needs to call ZITADEL's (and so idledger's) own API, as in ZITADEL. */
export const ZITADEL_API_SCOPE = "urn:zitadel:iam:org:project:id:zitadel:aud";
export const RESOURCE_OWNER_SCOPE = "urn:zitadel:iam:user:resourceowner";
const PROJECT_AUDIENCE = /^urn:zitadel:iam:org:project:id:([\w-]{1,200}):aud$/;
const ORG_ID = "urn:zitadel:iam:org:id:";
const ORG_PRIMARY_DOMAIN = "urn:zitadel:iam:org:domain:primary:";

/** What discovery advertises; the patterns above are accepted too. */
export const SUPPORTED_SCOPES = ["openid", "profile", "email", ZITADEL_API_SCOPE, RESOURCE_OWNER_SCOPE];

export const MAX_SCOPE_LENGTH = 2048;
const MAX_SCOPES = 50;

/** The requested scopes (the parameter is at most MAX_SCOPE_LENGTH long), bounded in count. */
export function requestedScopes(raw: string | undefined): string[] {
  if (!raw) return [];
  const scopes = [...new Set(raw.split(" ").filter(Boolean))];
  if (scopes.length > MAX_SCOPES) throw invalidRequest(`at most ${MAX_SCOPES} scopes may be requested`);
  return scopes;
}

/**
 * ZITADEL's scope rules for machine users: unknown scopes are dropped, and an org scope is kept
 * only when it names the user's own org (by id, or by its primary domain).
 */
export function grantedScopes(requested: readonly string[], user: UserView, org: OrgView | undefined): string[] {
  return requested.filter((scope) => {
    if (SUPPORTED_SCOPES.includes(scope) || PROJECT_AUDIENCE.test(scope)) return true;
    if (scope.startsWith(ORG_ID)) return scope.slice(ORG_ID.length) === user.details.resourceOwner;
    if (scope.startsWith(ORG_PRIMARY_DOMAIN)) return !!org?.primaryDomain && scope.slice(ORG_PRIMARY_DOMAIN.length) === org.primaryDomain;
    return false;
  });
}

/**
 * ZITADEL's AddAudScopeToAudience: the client, then every project a `...:project:id:{id}:aud`
 * scope names; `zitadel` stands for the instance's own API, whose id is the instance's.
 */
export function audienceOf(scopes: readonly string[], clientId: string, instanceId: string): string[] {
  const projects = scopes.flatMap((scope) => {
    const project = PROJECT_AUDIENCE.exec(scope)?.[1];
    return project === undefined ? [] : [project === "zitadel" ? instanceId : project];
  });
  return [...new Set([clientId, ...projects])];
}

export const wantsResourceOwner = (scopes: readonly string[]) => scopes.some((s) => s === RESOURCE_OWNER_SCOPE || s.startsWith(ORG_ID));
export const primaryDomainScope = (scopes: readonly string[]) => scopes.find((s) => s.startsWith(ORG_PRIMARY_DOMAIN))?.slice(ORG_PRIMARY_DOMAIN.length);
