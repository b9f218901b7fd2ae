import { fail } from "../errors.js";
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

    orgById: (orgId: string) => readModel.get<OrgView>(collections.orgs, orgId),

    personalAccessToken: (tokenHash: string) => readModel.get<PersonalAccessTokenView>(collections.personalAccessTokens, tokenHash),

    /** Roles of `userId` in `scope` ("instance" or an org id). */
    async roles(scope: string, userId: string): Promise<readonly string[]> {
      return (await readModel.get<MemberView>(collections.members, memberKey(scope, userId)))?.roles ?? [];
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
