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

/**
 * ZITADEL's auth interceptor: a bearer personal access token identifies the caller, the org is
 * `x-zitadel-orgid` or the caller's own, and the caller must hold `permission` there (through an
 * instance role, or a role in that org). An empty permission means "any authenticated caller".
 */
export async function authorize(queries: Queries, credentials: Credentials, permission: string): Promise<Caller> {
  if (!credentials.authorization) throw new StatusError("Unauthenticated", "auth header missing");
  const [scheme, token, ...rest] = credentials.authorization.split(" ");
  if (scheme !== "Bearer" || !token || rest.length > 0) throw new DomainError("authHeaderInvalid");

  const pat = (await queries.personalAccessToken(sha256Hash(token))) ?? (await apiAccessToken(queries, token));
  if (!pat || Date.parse(pat.expiration) <= Date.now()) throw new DomainError("tokenInvalid");

  const orgId = credentials.orgId || pat.resourceOwner;
  if (credentials.orgId && !(await queries.orgById(orgId))) throw new DomainError("orgNotAccessible");

  if (permission) {
    const roles = [...(await queries.roles("instance", pat.userId)), ...(await queries.roles(orgId, pat.userId))];
    if (!grants(roles, permission)) throw new DomainError("permissionDenied");
  }
  return { userId: pat.userId, orgId, correlationId: credentials.requestId ?? randomUUID() };
}
