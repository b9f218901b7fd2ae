import { createHash } from "node:crypto";
import { handleCommand } from "../commands/handleCommand.js";
import { sha256Hash } from "../commands/user/secrets.js";
import { randomBase64url } from "../crypto/randomPool.js";
import type { EventStore } from "../events/eventStore.js";
import { oidcSessionStream, type OidcGrantType } from "../events/oidcSession.js";
import type { OrgView, UserView } from "../projections/views.js";
import { opaqueAccessToken } from "./accessTokens.js";
import { zitadelClaims } from "./claims.js";
import { signJwt, type SigningKey } from "./keys/compactJws.js";
import type { KeyRing } from "./keys/keyRing.js";
import { audienceOf } from "./scopes.js";
import { sessionDecider } from "./session.js";

export interface IssueDeps {
  readonly store: EventStore;
  readonly instanceId: string;
  readonly keyRing: KeyRing;
  readonly lifetimeSeconds: number;
  readonly newId: () => string;
}

export interface Grant {
  readonly user: UserView;
  readonly org: OrgView | undefined;
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly grantType: OidcGrantType;
  /** The machine key a JWT-profile assertion was signed with. */
  readonly keyId?: string;
  readonly issuer: string;
  readonly correlationId: string;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: "Bearer";
  readonly expires_in: number;
  readonly id_token?: string;
}

/**
 * ZITADEL's CreateOIDCSession + accessTokenResponseFromSession: records the grant (its own
 * `oidc_session-<id>` stream, so grants never wait for one another; the append is durable before
 * the token leaves), then answers with the token in the user's `accessTokenType`: BEARER an opaque
 * token of which only the SHA-256 is recorded, JWT an RS256 JWT whose `jti` is the session id.
 */
export async function issueTokens(deps: IssueDeps, grant: Grant): Promise<{ readonly response: TokenResponse; readonly position: bigint }> {
  const { user } = grant;
  const now = new Date();
  const sessionId = deps.newId();
  const audience = audienceOf(grant.scope, grant.clientId, deps.instanceId);
  const jwt = user.machine?.accessTokenType === 1;
  const opaque = jwt ? undefined : opaqueAccessToken(sessionId, randomBase64url(32));

  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + deps.lifetimeSeconds;
  const common = { iss: grant.issuer, sub: user.id, aud: audience, exp, iat, client_id: grant.clientId };
  // The key first: a key ring that fails fails the grant before it is recorded (a recorded grant
  // counts against the user's live tokens). Then signed while the grant's events are committed (the
  // thread pool signs, the writer thread commits); nothing leaves before the commit, and a token
  // whose grant was not recorded is dropped.
  const key = opaque === undefined || grant.scope.includes("openid") ? await deps.keyRing.signingKey() : undefined;
  const signing = signTokens(key, grant, common, sessionId, opaque);
  signing.catch(() => {});

  const { appended } = await handleCommand(
    deps.store,
    sessionDecider,
    oidcSessionStream(sessionId),
    {
      type: "AddSession",
      userId: user.id,
      resourceOwner: user.details.resourceOwner,
      clientId: grant.clientId,
      audience,
      scope: grant.scope,
      authTime: now.toISOString(),
      grantType: grant.grantType,
      ...(grant.keyId ? { keyId: grant.keyId } : {}),
      tokenId: sessionId,
      lifetimeNanos: deps.lifetimeSeconds * 1e9,
      ...(opaque ? { tokenHash: sha256Hash(opaque) } : {}),
    },
    () => user.details.resourceOwner,
    // The session id is fresh: nothing to read before the append, which still expects no stream.
    { instanceId: deps.instanceId, editorUser: user.id, correlationId: grant.correlationId, now: () => now, newStream: true },
  );

  const { accessToken, idToken } = await signing;
  return {
    response: { access_token: accessToken, token_type: "Bearer", expires_in: deps.lifetimeSeconds, ...(idToken ? { id_token: idToken } : {}) },
    // Where the grant's last event stands in the log: once the read model has it, it counts the token.
    position: appended.at(-1)!.position,
  };
}

interface CommonClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly client_id: string;
}

/** The access token (the opaque one as given, or a JWT whose `jti` is the session id) and, with `openid`, the ID token. */
async function signTokens(key: SigningKey | undefined, grant: Grant, common: CommonClaims, sessionId: string, opaque: string | undefined) {
  const { user, org, scope, clientId } = grant;
  const accessToken = opaque ?? (await signJwt({ ...common, nbf: common.iat, jti: sessionId, scope: scope.join(" "), ...zitadelClaims(scope, user, org) }, key!));
  const idToken = scope.includes("openid")
    ? await signJwt({ ...common, auth_time: common.iat, azp: clientId, at_hash: atHash(accessToken), ...zitadelClaims(scope, user, org) }, key!)
    : undefined;
  return { accessToken, idToken };
}

/** OIDC Core §3.1.3.6: the left half of the access token's SHA-256, base64url. */
const atHash = (accessToken: string) => createHash("sha256").update(accessToken).digest().subarray(0, 16).toString("base64url");
