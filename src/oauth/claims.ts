import type { OrgView, UserView } from "../projections/views.js";
import { primaryDomainScope, wantsResourceOwner } from "./scopes.js";

/** ZITADEL's private claims (internal/api/oidc: ClaimResourceOwnerID ...), by scope. */
export function zitadelClaims(scope: readonly string[], user: UserView, org: OrgView | undefined): Record<string, string> {
  const claims: Record<string, string> = {};
  if (wantsResourceOwner(scope)) {
    claims["urn:zitadel:iam:user:resourceowner:id"] = user.details.resourceOwner;
    if (org) {
      claims["urn:zitadel:iam:user:resourceowner:name"] = org.name;
      claims["urn:zitadel:iam:user:resourceowner:primary_domain"] = org.primaryDomain;
    }
  }
  const domain = primaryDomainScope(scope);
  if (domain) claims["urn:zitadel:iam:org:domain:primary"] = domain;
  return claims;
}

/** Userinfo of a machine user, as ZITADEL gives it: `sub`, the profile when scoped, then the private claims. */
export function userInfo(scope: readonly string[], user: UserView, org: OrgView | undefined): Record<string, string | number> {
  const profile: Record<string, string | number> = scope.includes("profile")
    ? {
        name: user.machine?.name ?? user.userName,
        preferred_username: user.userName,
        updated_at: Math.floor(Date.parse(user.details.changeDate) / 1000),
      }
    : {};
  return { sub: user.id, ...profile, ...zitadelClaims(scope, user, org) };
}
