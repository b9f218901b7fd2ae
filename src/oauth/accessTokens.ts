import { decodeProtectedHeader, jwtVerify } from "jose";
import type { OidcSessionView, UserView } from "../projections/views.js";
import { matchesHash } from "./hashes.js";
import type { VerificationKeys } from "./keys/keyRing.js";

/** Who an access token speaks for, and what for. */
export interface AccessTokenHolder {
  readonly tokenId: string;
  readonly userId: string;
  readonly resourceOwner: string;
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  /** RFC 3339. */
  readonly issuedAt: string;
  readonly expiresAt: string;
}

/** What resolving a token reads (src/queries). */
export interface AccessTokenReads {
  oidcSession(sessionId: string): Promise<OidcSessionView | undefined>;
  user(userId: string): Promise<UserView | undefined>;
}

/** Longer than any token idledger issues (an RS256 JWT with every claim is about 1 KB). */
const MAX_TOKEN_LENGTH = 4096;
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;
const OPAQUE = /^(\d{1,30})\.([\w-]{43})$/;

/** An opaque access token: its session id, then 32 random bytes. Only its SHA-256 is kept. */
export const opaqueAccessToken = (sessionId: string, secret: string) => `${sessionId}.${secret}`;

/**
 * Resolves an access token of either form (opaque, or a JWT signed by one of our published keys)
 * to its holder, or `undefined` when it is unknown, expired, revoked, or its user is no longer
 * active (or gone). Revocation and user state are read from the read model on every call, so they
 * take effect on the next request on every instance.
 */
export async function resolveAccessToken(token: string, reads: AccessTokenReads, keys: VerificationKeys): Promise<AccessTokenHolder | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const jwt = JWT.test(token);
  const sessionId = jwt ? await verifiedJwtId(token, keys) : OPAQUE.exec(token)?.[1];
  if (!sessionId) return undefined;
  const session = await reads.oidcSession(sessionId);
  const accessToken = session?.accessToken;
  if (!session || !accessToken || Date.parse(accessToken.expiresAt) <= Date.now()) return undefined;
  if (!jwt && !matchesHash(token, accessToken.tokenHash)) return undefined;
  // Only ACTIVE users: a state added later (inactive, locked) is refused without a change here.
  if ((await reads.user(session.userId))?.state !== "USER_STATE_ACTIVE") return undefined;
  return {
    tokenId: session.sessionId,
    userId: session.userId,
    resourceOwner: session.resourceOwner,
    clientId: session.clientId,
    scope: accessToken.scope,
    audience: session.audience,
    issuedAt: accessToken.issuedAt,
    expiresAt: accessToken.expiresAt,
  };
}

async function verifiedJwtId(token: string, keys: VerificationKeys): Promise<string | undefined> {
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = kid ? await keys.verificationKey(kid) : undefined;
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key, { algorithms: ["RS256"] });
    return typeof payload.jti === "string" ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}
