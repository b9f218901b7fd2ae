import type { ObjectDetails } from "../commands/details.js";
import type { RecordedEvent } from "../events/envelope.js";

/**
 * What the queries read. Collection names carry the projection's version (ZITADEL's `users8`):
 * a reducer that changes a collection's shape bumps its name, and a stored read model of another
 * shape (Redis) is rebuilt from the log rather than read (src/projections/redis/leasedProjection.ts).
 */
export const collections = {
  users: "users3",
  orgs: "orgs2",
  personalAccessTokens: "pats3",
  members: "members3",
  failedEvents: "failedevents1",
  machineKeys: "machinekeys2",
  machineSecrets: "machinesecrets1",
  oidcSessions: "oidcsessions1",
  liveTokens: "livetokens1",
  userMetadata: "usermetadata2",
} as const;

/** The read model's shape, as the set of its collections' names. */
export const readModelShape = Object.values(collections).sort().join(",");

/** ZITADEL's user states, as the API names them. */
export type UserStateName = "USER_STATE_ACTIVE" | "USER_STATE_INITIAL" | "USER_STATE_INACTIVE" | "USER_STATE_LOCKED";

export type UserView = {
  readonly id: string;
  readonly userName: string;
  readonly state: UserStateName;
  /** False while a human has an initialization pending: unlocking or reactivating it makes it INITIAL again, not ACTIVE. */
  readonly initialized: boolean;
  readonly details: ObjectDetails;
  readonly machine?: {
    readonly name: string;
    readonly description: string;
    readonly hasSecret: boolean;
    readonly accessTokenType: 0 | 1;
  };
  readonly human?: {
    readonly profile: {
      readonly firstName: string;
      readonly lastName: string;
      readonly nickName: string;
      readonly displayName: string;
      readonly preferredLanguage: string;
      readonly gender: number;
    };
    readonly email: { readonly email: string; readonly isEmailVerified: boolean };
    readonly phone: { readonly phone: string; readonly isPhoneVerified: boolean };
  };
};

/** Indexed by `name` (lower case) and by `primaryDomain` (as it is). */
export type OrgView = {
  readonly id: string;
  readonly name: string;
  readonly primaryDomain: string;
  readonly details: ObjectDetails;
};

/**
 * Keyed by the token's hash (the token itself is never stored, the hash is in no answer); indexed
 * by `user` and by `token` (its tokenId). `details` are those of its added event, as ZITADEL's.
 */
export type PersonalAccessTokenView = {
  readonly tokenId: string;
  readonly userId: string;
  readonly resourceOwner: string;
  readonly expiration: string;
  readonly scopes: readonly string[];
  readonly details: ObjectDetails;
};

/** Keyed by `machineKeyId(userId, keyId)`, indexed by `user`; a removed key's document is deleted. */
export type MachineKeyView = {
  readonly keyId: string;
  readonly userId: string;
  readonly type: 1;
  /** RFC 3339. */
  readonly expirationDate: string;
  /** PEM (SPKI). */
  readonly publicKey: string;
  readonly details: ObjectDetails;
};

// Ids are the client's choice (a userId may hold any character): JSON keeps the parts of a
// composite key apart, so no (user, key) pair can name another's document.
export const machineKeyId = (userId: string, keyId: string) => JSON.stringify([userId, keyId]);

/**
 * A user's access tokens still live, counted by when they expire: `[bucket, count]`, `count`
 * tokens expiring in bucket × LIVE_TOKEN_BUCKET_MS up to the next bucket, oldest first.
 */
export type LiveTokensView = {
  readonly userId: string;
  readonly buckets: readonly (readonly [bucket: number, count: number])[];
};

/**
 * Keyed by the session id, which is also its access token's id (`jti`). A revoked token's
 * document is deleted. `accessToken` is absent until its event is projected.
 */
export type OidcSessionView = {
  readonly sessionId: string;
  readonly userId: string;
  readonly resourceOwner: string;
  readonly clientId: string;
  readonly audience: readonly string[];
  readonly accessToken?: {
    readonly scope: readonly string[];
    /** RFC 3339. */
    readonly issuedAt: string;
    readonly expiresAt: string;
    /** `sha256:<hex>` of an opaque token. */
    readonly tokenHash?: string;
  };
};

/**
 * Keyed by userId: the hash a machine's client secret is checked against (client_credentials).
 * Never part of an API answer; deleted when the secret or the user is removed.
 */
export type MachineSecretView = { readonly hashedSecret: string };

/**
 * Keyed by `userMetadataId`; indexed by `user`. `value` is base64. `details` are those of the key's
 * last `user.metadata.set`, creation date included, as ZITADEL's projection (its upsert rewrites it).
 */
export type UserMetadataView = {
  readonly userId: string;
  readonly key: string;
  readonly value: string;
  readonly details: ObjectDetails;
};

// A key may hold any character, a userId too: JSON keeps the two apart.
export const userMetadataId = (userId: string, key: string) => JSON.stringify([userId, key]);

/** The details of a document that one event made: created and last changed by it. */
export const madeBy = (event: RecordedEvent): ObjectDetails => ({
  sequence: event.revision + 1,
  creationDate: event.metadata.createdAt,
  changeDate: event.metadata.createdAt,
  resourceOwner: event.metadata.resourceOwner,
});

/**
 * Keyed by `memberKey(scope, userId)`, scope being "instance" or an org id; indexed by `user` and
 * by `scope`. `details` are those of its added event (the scope's stream), as ZITADEL's members.
 */
export type MemberView = {
  readonly scope: string;
  readonly userId: string;
  readonly roles: readonly string[];
  readonly details: ObjectDetails;
};

export const memberKey = (scope: string, userId: string) => JSON.stringify([scope, userId]);

/**
 * An event the projection could not apply and skipped (ZITADEL's failed_events), keyed by its
 * position. Kept in the read model, so it lasts as long as the projection it is missing from.
 */
export type FailedEventView = {
  /** The event's log position, as a decimal string (a uint64). */
  readonly position: string;
  readonly eventId: string;
  readonly type: string;
  readonly stream: string;
  readonly revision: number;
  /** Why the reducer refused it. */
  readonly error: string;
  /** How many times it was tried before it was parked. */
  readonly attempts: number;
  /** RFC 3339. */
  readonly failedAt: string;
};
