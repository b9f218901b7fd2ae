import { fail, type ErrorName } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import type { InstanceAdded } from "../events/instance.js";
import { resolveAccessToken, type AccessTokenHolder } from "../oauth/accessTokens.js";
import type { VerificationKeys } from "../oauth/keys/keyRing.js";
import type { Projector } from "../projections/projector.js";
import type { ReadModel } from "../projections/readModel.js";
import {
  collections,
  machineKeyId,
  memberKey,
  type LiveTokensView,
  type MachineKeyView,
  type MachineSecretView,
  type MemberView,
  type OidcSessionView,
  type OrgView,
  type PersonalAccessTokenView,
  type UserMetadataView,
  type UserView,
  userMetadataId,
} from "../projections/views.js";

export interface QueriesConfig {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly projector: Pick<Projector, "waitFor">;
  /** How long a request waits for the projection to reach the log's head before it reads what there is. */
  readonly consistencyTimeoutMs: number;
  /** The OIDC signing keys, to verify JWT access tokens with. */
  readonly signingKeys: VerificationKeys;
  /** The log's head when this process knows it without asking the store (src/events/ownHead.ts). */
  readonly headPosition?: () => bigint;
  /** What the read model reflects, as a tag that any applied event changes; without it nothing is cached. */
  readonly readVersion?: () => Promise<string | undefined> | string;
}

/** The read side, as ZITADEL's `query.Queries`. */
export function createQueries({ store, readModel, projector, consistencyTimeoutMs, signingKeys, headPosition, readVersion }: QueriesConfig) {
  /** Roles of `userId` in `scope` ("instance" or an org id). */
  const roles = async (scope: string, userId: string): Promise<readonly string[]> =>
    (await readModel.get<MemberView>(collections.members, memberKey(scope, userId)))?.roles ?? [];
  const tokenReads = {
    oidcSession: (sessionId: string) => readModel.get<OidcSessionView>(collections.oidcSessions, sessionId),
    user: (userId: string) => readModel.get<UserView>(collections.users, userId),
  };

  return {
    /**
     * Read-your-writes with no help from the client: wait until the projection has reached the
     * log's head as of now (or `position`), as ZITADEL triggers its projections on read. Fails
     * closed: a read model that does not get there in time answers 503 UNAVAILABLE, never stale
     * data, since authentication reads it too (a lock or a removed token must count at once).
     */
    async catchUp(position?: bigint): Promise<void> {
      const target = position ?? (headPosition ? headPosition() : await store.headPosition());
      if (!(await projector.waitFor(target, consistencyTimeoutMs))) fail("unavailable");
    },

    /**
     * What the read model reflects right now, as a tag that any applied event (and, with Redis, a
     * switch of generation) changes; undefined when the read side cannot tell. Taken after
     * `catchUp`, before the reads it tags, it lets `authorize` reuse a principal.
     */
    readVersion: async (): Promise<string | undefined> => readVersion?.(),

    /** A user of `orgId`; one of another org is not found, as in ZITADEL. */
    async userById(userId: string, orgId: string): Promise<UserView> {
      const user = await readModel.get<UserView>(collections.users, userId);
      if (!user || user.details.resourceOwner !== orgId) return fail("userNotFoundQuery");
      return user;
    },

    /**
     * GetHumanProfile, GetHumanEmail, GetHumanPhone: a human of `orgId`, with each read's own ids
     * for a user that is not found and for one that is a machine, as ZITADEL's queries have them.
     */
    async humanById(userId: string, orgId: string, refusals: { readonly notFound: ErrorName; readonly notHuman: ErrorName }) {
      const user = await readModel.get<UserView>(collections.users, userId);
      if (!user || user.details.resourceOwner !== orgId) return fail(refusals.notFound);
      if (!user.human) return fail(refusals.notHuman);
      return { details: user.details, human: user.human };
    },

    /** Resolves true once the read model reflects `position` (an event seen in the log), false after `timeoutMs`. */
    reached: (position: bigint, timeoutMs = consistencyTimeoutMs) => projector.waitFor(position, timeoutMs),

    /** Whether the user exists and may authenticate: only ACTIVE users do. */
    async isActiveUser(userId: string): Promise<boolean> {
      return (await readModel.get<UserView>(collections.users, userId))?.state === "USER_STATE_ACTIVE";
    },

    orgById: (orgId: string) => readModel.get<OrgView>(collections.orgs, orgId),

    /** GetOrgByDomainGlobal: the org whose primary domain is exactly `domain`, in the whole instance. */
    async orgByPrimaryDomain(domain: string): Promise<OrgView> {
      const [orgId] = await readModel.find(collections.orgs, "primaryDomain", domain);
      const org = orgId === undefined ? undefined : await readModel.get<OrgView>(collections.orgs, orgId);
      return org ?? fail("orgNotFoundQuery");
    },

    /** The members of `scope` ("instance" or an org id), by user id, and the position the read model has reached. */
    async membersOf(scope: string): Promise<{ members: MemberView[]; processedPosition: bigint }> {
      const keys = await readModel.find(collections.members, "scope", scope);
      const found = await Promise.all(keys.map((key) => readModel.get<MemberView>(collections.members, key)));
      const members = found.filter((member): member is MemberView => member?.scope === scope).sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
      return { members, processedPosition: (await readModel.checkpoint()) ?? 0n };
    },

    /** The log position the read model has reached. */
    processedPosition: async () => (await readModel.checkpoint()) ?? 0n,

    /** The instance's name, as its setup recorded it (a membership of the instance is shown by it). */
    async instanceName(): Promise<string> {
      const [added] = await store.readStream("instance");
      return (added?.data as InstanceAdded | undefined)?.name ?? "";
    },

    personalAccessToken: (tokenHash: string) => readModel.get<PersonalAccessTokenView>(collections.personalAccessTokens, tokenHash),

    /** A machine key of `userId` in `orgId` (GetMachineKeyByIDs); of another org it is not found. */
    async machineKey(userId: string, keyId: string, orgId: string): Promise<MachineKeyView> {
      const key = await readModel.get<MachineKeyView>(collections.machineKeys, machineKeyId(userId, keyId));
      if (!key || key.details.resourceOwner !== orgId) return fail("machineKeyNotFoundQuery");
      return key;
    },

    /** The keys of `userId` in `orgId`, oldest first, with the position the read model has reached. */
    async machineKeys(userId: string, orgId: string): Promise<{ keys: MachineKeyView[]; processedPosition: bigint }> {
      const ids = await readModel.find(collections.machineKeys, "user", userId);
      const keys = (await Promise.all(ids.map((id) => readModel.get<MachineKeyView>(collections.machineKeys, id)))).filter(
        (key): key is MachineKeyView => key !== undefined && key.details.resourceOwner === orgId,
      );
      keys.sort((a, b) => a.details.sequence - b.details.sequence);
      return { keys, processedPosition: (await readModel.checkpoint()) ?? 0n };
    },

    /** Any user, whatever its org (the OAuth endpoints find users by their credentials, not by org). */
    user: tokenReads.user,

    /** A user by its userName (a machine's OAuth client_id), case-insensitive, whatever its org. */
    async userByUserName(userName: string): Promise<UserView | undefined> {
      const [userId] = await readModel.find(collections.users, "userName", userName.toLowerCase());
      return userId === undefined ? undefined : readModel.get<UserView>(collections.users, userId);
    },

    /** The hash a machine user's client secret is checked against; none when no secret was generated. */
    machineSecretHash: async (userId: string) => (await readModel.get<MachineSecretView>(collections.machineSecrets, userId))?.hashedSecret,

    /** A machine key by user and key id, whatever its org (JWT-profile assertions name both). */
    machineKeyOf: (userId: string, keyId: string) => readModel.get<MachineKeyView>(collections.machineKeys, machineKeyId(userId, keyId)),

    oidcSession: tokenReads.oidcSession,

    /** What counts a user's live access tokens (src/projections/reducers/oidcSessions.ts, `liveTokens`). */
    liveTokensOf: (userId: string) => readModel.get<LiveTokensView>(collections.liveTokens, userId),

    /** An OAuth access token's holder, or undefined (src/oauth/accessTokens.ts). */
    accessToken: (token: string): Promise<AccessTokenHolder | undefined> => resolveAccessToken(token, tokenReads, signingKeys),

    /** The tokens of `userId` in `orgId`, oldest first, and the position the read model has reached. */
    async personalAccessTokensOf(userId: string, orgId: string): Promise<{ tokens: PersonalAccessTokenView[]; processedPosition: bigint }> {
      const hashes = await readModel.find(collections.personalAccessTokens, "user", userId);
      const tokens = (await Promise.all(hashes.map((hash) => readModel.get<PersonalAccessTokenView>(collections.personalAccessTokens, hash)))).filter(
        (token): token is PersonalAccessTokenView => token?.resourceOwner === orgId,
      );
      return { tokens: tokens.sort((a, b) => a.details.sequence - b.details.sequence), processedPosition: (await readModel.checkpoint()) ?? 0n };
    },

    /** A token of `userId` in `orgId` (GetPersonalAccessTokenByIDs); of another user or org it is not found. */
    async personalAccessTokenById(userId: string, tokenId: string, orgId: string): Promise<PersonalAccessTokenView> {
      const hashes = await readModel.find(collections.personalAccessTokens, "token", tokenId);
      for (const hash of hashes) {
        const token = await readModel.get<PersonalAccessTokenView>(collections.personalAccessTokens, hash);
        if (token?.userId === userId && token.resourceOwner === orgId) return token;
      }
      return fail("personalAccessTokenNotFoundQuery");
    },

    /** One metadata entry of a user of `orgId` (GetUserMetadata). */
    async userMetadataByKey(userId: string, key: string, orgId: string): Promise<UserMetadataView> {
      const entry = await readModel.get<UserMetadataView>(collections.userMetadata, userMetadataId(userId, key));
      if (!entry || entry.details.resourceOwner !== orgId) return fail("metadataNotFoundQuery");
      return entry;
    },

    /** The metadata of a user of `orgId`, by key, and the position the read model has reached. */
    async userMetadataOf(userId: string, orgId: string): Promise<{ entries: UserMetadataView[]; processedPosition: bigint }> {
      const ids = await readModel.find(collections.userMetadata, "user", userId);
      const entries = (await Promise.all(ids.map((id) => readModel.get<UserMetadataView>(collections.userMetadata, id)))).filter(
        (entry): entry is UserMetadataView => entry?.details.resourceOwner === orgId,
      );
      return { entries: entries.sort((a, b) => (a.key < b.key ? -1 : 1)), processedPosition: (await readModel.checkpoint()) ?? 0n };
    },

    roles,

    /** What counts in an org: the user's instance roles and its roles in that org. */
    async rolesIn(orgId: string, userId: string): Promise<readonly string[]> {
      const [instance, org] = await Promise.all([roles("instance", userId), roles(orgId, userId)]);
      return [...instance, ...org];
    },

    /** Every scope in which the user holds roles. */
    async memberships(userId: string): Promise<readonly MemberView[]> {
      const keys = await readModel.find(collections.members, "user", userId);
      const found = await Promise.all(keys.map((key) => readModel.get<MemberView>(collections.members, key)));
      return found.filter((member): member is MemberView => member !== undefined);
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
