import { defineEvent } from "./schema.js";

/** One stream per grant, as ZITADEL's `oidc_session` aggregate: grants never contend with each other. */
export const oidcSessionStream = (sessionId: string) => `oidc_session-${sessionId}`;

export type OidcGrantType = "client_credentials" | "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * ZITADEL's oidc_session.added: who got a session, through which client, for which audience and
 * scope. `grantType` and `keyId` (the machine key that signed a JWT-profile assertion) are
 * idledger's, so an audit reader sees how the machine authenticated.
 */
export interface OidcSessionAdded {
  readonly userID: string;
  readonly userResourceOwner: string;
  readonly clientID: string;
  readonly audience: string[];
  readonly scope: string[];
  /** RFC 3339. */
  readonly authTime: string;
  readonly grantType: OidcGrantType;
  readonly keyId?: string;
}
export const oidcSessionAdded = defineEvent<OidcSessionAdded>({
  type: "oidc_session.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      userID: { type: "string", minLength: 1 },
      userResourceOwner: { type: "string", minLength: 1 },
      clientID: { type: "string", minLength: 1 },
      audience: { type: "array", items: { type: "string", minLength: 1 } },
      scope: { type: "array", items: { type: "string", minLength: 1 } },
      authTime: { type: "string", format: "date-time" },
      grantType: { type: "string", enum: ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"] },
      keyId: { type: "string", minLength: 1, nullable: true },
    },
    required: ["userID", "userResourceOwner", "clientID", "audience", "scope", "authTime", "grantType"],
    additionalProperties: false,
  } as never,
});

/**
 * ZITADEL's oidc_session.access_token.added. `tokenHash` (idledger's) is the SHA-256 of an opaque
 * token, the only form in which one is kept; a JWT's is absent (its signature proves it, its `jti`
 * is `id`). `lifetime` is in nanoseconds, as Go serializes a time.Duration.
 */
export interface AccessTokenAdded {
  readonly id: string;
  readonly scope: string[];
  readonly lifetime: number;
  readonly tokenHash?: string;
}
export const accessTokenAdded = defineEvent<AccessTokenAdded>({
  type: "oidc_session.access_token.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      id: { type: "string", minLength: 1 },
      scope: { type: "array", items: { type: "string", minLength: 1 } },
      lifetime: { type: "integer", minimum: 1 },
      tokenHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$", nullable: true },
    },
    required: ["id", "scope", "lifetime"],
    additionalProperties: false,
  } as never,
});

export interface AccessTokenRevoked {}
export const accessTokenRevoked = defineEvent<AccessTokenRevoked>({
  type: "oidc_session.access_token.revoked",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

export type OidcSessionEvent =
  | { readonly type: "oidc_session.added"; readonly data: OidcSessionAdded }
  | { readonly type: "oidc_session.access_token.added"; readonly data: AccessTokenAdded }
  | { readonly type: "oidc_session.access_token.revoked"; readonly data: AccessTokenRevoked };

export const oidcSessionEvents = [oidcSessionAdded, accessTokenAdded, accessTokenRevoked];
