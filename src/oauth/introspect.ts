import type { Queries } from "../queries/queries.js";
import type { FormEndpoint } from "./answer.js";
import { userInfo } from "./claims.js";
import { callerAndToken } from "./clientAuth.js";

export interface IntrospectDeps {
  readonly queries: Queries;
  readonly externalUrl: string | undefined;
}

/**
 * POST /oauth/v2/introspect (RFC 7662). The caller authenticates as a machine user (secret or
 * private_key_jwt), standing in for ZITADEL's API application. ZITADEL answers `active: false` for
 * a token not meant for the caller's project; idledger has no projects, so a caller sees the
 * tokens of its own org's users (every token, when it holds an instance role).
 */
export const introspectEndpoint = (deps: IntrospectDeps): FormEndpoint => async (req) => {
  // 1. the caller must authenticate, and name a token
  const { caller, token, issuer } = await callerAndToken(req, deps.queries, deps.externalUrl);

  // 2. the token, as of now: unknown, expired, revoked or of a user no longer active is inactive
  const holder = await deps.queries.accessToken(token);
  const user = holder && (await deps.queries.user(holder.userId));
  const visible = holder && (holder.resourceOwner === caller.details.resourceOwner || (await deps.queries.roles("instance", caller.id)).length > 0);
  if (!holder || !user || !visible) return { status: 200, headers: NO_STORE, body: { active: false } };

  // 3. RFC 7662's fields, then the user's claims as userinfo gives them
  const org = await deps.queries.orgById(holder.resourceOwner);
  const claims = userInfo(holder.scope, user, org);
  const body = {
    active: true,
    scope: holder.scope.join(" "),
    client_id: holder.clientId,
    token_type: "Bearer",
    exp: seconds(holder.expiresAt),
    iat: seconds(holder.issuedAt),
    nbf: seconds(holder.issuedAt),
    sub: holder.userId,
    aud: holder.audience,
    iss: issuer,
    jti: holder.tokenId,
    ...("preferred_username" in claims ? { username: claims.preferred_username } : {}),
    ...claims,
  };
  return { status: 200, headers: NO_STORE, body };
};

const NO_STORE = { "cache-control": "no-store" };

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
