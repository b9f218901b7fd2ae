import { randomUUID } from "node:crypto";
import type { Caller } from "../commands/commands.js";
import { sha256Hash } from "../commands/user/secrets.js";
import { DomainError, StatusError } from "../errors.js";
import { apiAccessToken } from "../oauth/apiAccess.js";
import type { Queries } from "../queries/queries.js";
import { principalCache, type Principal, type PrincipalCache } from "./principalCache.js";
import { grants } from "./roles.js";

export interface Credentials {
  /** The `authorization` header or metadata, as sent. */
  readonly authorization: string | undefined;
  /** `x-zitadel-orgid`, as sent. */
  readonly orgId: string | undefined;
  readonly requestId?: string;
}

/** An authorized caller, and until when its credential is valid (ms since the epoch). */
export interface Session {
  readonly caller: Caller;
  readonly expiresAt: number;
  /** The credential's hash: what long-lived sessions (streams) are counted by, never the token itself. */
  readonly tokenHash: string;
  /** The credential's id: a PAT's, or an OAuth access token's (whose `oidc_session-<id>` stream records its revocation). */
  readonly tokenId: string;
}

/**
 * ZITADEL's auth interceptor: a bearer personal access token identifies the caller, whose user
 * must exist and be active (a locked, deactivated or removed user's tokens stop working on the
 * next request); the org is `x-zitadel-orgid` or the caller's own, and the caller must hold
 * `permission` there (through an instance role, or a role in that org). An empty permission means
 * "any authenticated caller". What a caller may do to another user is checked by the commands
 * through src/auth/userAccess.ts.
 */
export async function authorizeSession(queries: Queries, credentials: Credentials, permission: string, readVersion?: string): Promise<Session> {
  if (!credentials.authorization) throw new StatusError("Unauthenticated", "auth header missing");
  const [scheme, token, ...rest] = credentials.authorization.split(" ");
  if (scheme !== "Bearer" || !token || rest.length > 0) throw new DomainError("authHeaderInvalid");

  const tokenHash = sha256Hash(token);
  const cache = readVersion === undefined ? undefined : cacheOf(queries);
  const key = `${tokenHash}\0${credentials.orgId ?? ""}`;
  let principal = cache?.get(key, readVersion!);
  if (!principal) {
    const read = await readPrincipal(queries, token, tokenHash, credentials.orgId, permission !== "" || cache !== undefined);
    principal = read.principal;
    if (cache && read.personalAccessToken) cache.set(key, readVersion!, principal);
  }
  const { token: pat, roles } = principal;
  const expiresAt = Date.parse(pat.expiration);
  if (!(expiresAt > Date.now())) throw new DomainError("tokenInvalid");
  if (permission && !grants(roles, permission)) throw new DomainError("permissionDenied");
  const orgId = credentials.orgId || pat.resourceOwner;
  return { caller: { userId: pat.userId, orgId, correlationId: credentials.requestId ?? randomUUID() }, expiresAt, tokenHash, tokenId: pat.tokenId };
}

/** The reads behind a principal, refusing as soon as one fails; roles only when they are needed. */
async function readPrincipal(queries: Queries, token: string, tokenHash: string, orgHeader: string | undefined, withRoles: boolean) {
  // A personal access token, or an OAuth access token issued at /oauth/v2/token (src/oauth/).
  const personalAccessToken = await queries.personalAccessToken(tokenHash);
  const pat = personalAccessToken ?? (await apiAccessToken(queries, token));
  if (!pat || !(Date.parse(pat.expiration) > Date.now())) throw new DomainError("tokenInvalid");
  if (!(await queries.isActiveUser(pat.userId))) throw new DomainError("tokenInvalid");

  const orgId = orgHeader || pat.resourceOwner;
  if (orgHeader && !(await queries.orgById(orgId))) throw new DomainError("orgNotAccessible");
  const roles = withRoles ? await queries.rolesIn(orgId, pat.userId) : [];
  const principal: Principal = { token: pat, roles };
  // OAuth access tokens are not cached: their validity also rests on signing keys outside the read model.
  return { principal, personalAccessToken: personalAccessToken !== undefined };
}

// One cache per read side: the version tags are that read model's.
const caches = new WeakMap<Queries, PrincipalCache>();
function cacheOf(queries: Queries): PrincipalCache {
  let cache = caches.get(queries);
  if (!cache) caches.set(queries, (cache = principalCache()));
  return cache;
}

/** `readVersion` (from `queries.readVersion()`, taken after catching up) lets the principal be served from the cache. */
export const authorize = async (queries: Queries, credentials: Credentials, permission: string, readVersion?: string): Promise<Caller> =>
  (await authorizeSession(queries, credentials, permission, readVersion)).caller;
