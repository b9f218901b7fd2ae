import { fail, type ErrorName } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import type { Projector } from "../projections/projector.js";
import type { ReadModel } from "../projections/readModel.js";
import {
  collections,
  memberKey,
  type MemberView,
  type OrgView,
  type PersonalAccessTokenView,
  type UserView,
} from "../projections/views.js";

export interface QueriesConfig {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly projector: Pick<Projector, "waitFor">;
  /** How long a request waits for the projection to reach the log's head before it reads what there is. */
  readonly consistencyTimeoutMs: number;
}

/** The read side, as ZITADEL's `query.Queries`. */
export function createQueries({ store, readModel, projector, consistencyTimeoutMs }: QueriesConfig) {
  /** Roles of `userId` in `scope` ("instance" or an org id). */
  const roles = async (scope: string, userId: string): Promise<readonly string[]> =>
    (await readModel.get<MemberView>(collections.members, memberKey(scope, userId)))?.roles ?? [];

  return {
    /**
     * Read-your-writes with no help from the client: wait until the projection has reached the
     * log's head as of now, as ZITADEL triggers its projections on read.
     */
    async catchUp(): Promise<boolean> {
      return projector.waitFor(await store.headPosition(), consistencyTimeoutMs);
    },

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

    personalAccessToken: (tokenHash: string) => readModel.get<PersonalAccessTokenView>(collections.personalAccessTokens, tokenHash),

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
