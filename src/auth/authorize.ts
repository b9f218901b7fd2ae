import { randomUUID } from "node:crypto";
import type { Caller } from "../commands/commands.js";
import { sha256Hash } from "../commands/user/secrets.js";
import { DomainError, StatusError } from "../errors.js";
import { apiAccessToken } from "../oauth/apiAccess.js";
import type { Queries } from "../queries/queries.js";
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
export async function authorizeSession(queries: Queries, credentials: Credentials, permission: string): Promise<Session> {
  if (!credentials.authorization) throw new StatusError("Unauthenticated", "auth header missing");
  const [scheme, token, ...rest] = credentials.authorization.split(" ");
  if (scheme !== "Bearer" || !token || rest.length > 0) throw new DomainError("authHeaderInvalid");

  const tokenHash = sha256Hash(token);
  // A personal access token, or an OAuth access token issued at /oauth/v2/token (src/oauth/).
  const pat = (await queries.personalAccessToken(tokenHash)) ?? (await apiAccessToken(queries, token));
  const expiresAt = pat ? Date.parse(pat.expiration) : NaN;
  if (!pat || !(expiresAt > Date.now())) throw new DomainError("tokenInvalid");
  if (!(await queries.isActiveUser(pat.userId))) throw new DomainError("tokenInvalid");

  const orgId = credentials.orgId || pat.resourceOwner;
  if (credentials.orgId && !(await queries.orgById(orgId))) throw new DomainError("orgNotAccessible");

  if (permission && !grants(await queries.rolesIn(orgId, pat.userId), permission)) throw new DomainError("permissionDenied");
  return { caller: { userId: pat.userId, orgId, correlationId: credentials.requestId ?? randomUUID() }, expiresAt, tokenHash, tokenId: pat.tokenId };
}

export const authorize = async (queries: Queries, credentials: Credentials, permission: string): Promise<Caller> =>
  (await authorizeSession(queries, credentials, permission)).caller;
