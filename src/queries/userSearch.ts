import { fail } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import type { ReadModel } from "../projections/readModel.js";
import type { UserSearchProjection } from "../projections/search/searchProjection.js";
import type { UserSearch } from "../projections/search/userSearch.js";
import { collections, type UserView } from "../projections/views.js";

export interface UserSearchQueriesConfig {
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly search: Pick<UserSearchProjection, "index" | "waitFor" | "position">;
  readonly consistencyTimeoutMs: number;
}

/** The reads that search users (ListUsers, GetUserByLoginNameGlobal, IsUserUnique): the index finds, the read model answers. */
export function createUserSearchQueries({ store, readModel, search, consistencyTimeoutMs }: UserSearchQueriesConfig) {
  /**
   * Read-your-writes for the index: it must have reached the log's head as of now, or the answer
   * could miss a write already acknowledged; past the timeout the read fails (503) instead.
   */
  async function caughtUp(): Promise<void> {
    if (!(await search.waitFor(await store.headPosition(), consistencyTimeoutMs))) fail("unavailable");
  }

  const usersById = async (ids: readonly string[]) =>
    (await Promise.all(ids.map((id) => readModel.get<UserView>(collections.users, id)))).filter((user): user is UserView => user !== undefined);

  return {
    /** One page of the users `query` finds, the count of all it finds, and the index's position. */
    async searchUsers(query: UserSearch): Promise<{ users: UserView[]; total: number; processedPosition: bigint }> {
      await caughtUp();
      const processedPosition = search.position();
      const { ids, total } = search.index.search(query);
      return { users: await usersById(ids), total, processedPosition };
    },

    /** GetUserByLoginNameGlobal: ZITADEL compares the preferred login name exactly, in every org. */
    async userByLoginNameGlobal(loginName: string): Promise<UserView> {
      await caughtUp();
      const { ids } = search.index.search({ org: undefined, filters: [{ kind: "text", field: "loginName", method: "equals", value: loginName }], sort: "id", asc: true, offset: 0n, limit: 1 });
      const [user] = await usersById(ids);
      return user ?? fail("userNotFoundQuery");
    },

    /**
     * IsUserUnique, in the whole instance (the default domain policy does not scope login names to
     * an org, so neither does ZITADEL here): no user has this userName (and this email, when
     * given). The userName compares without case, as the uniqueness AddHumanUser enforces does.
     */
    async isUserUnique(userName: string, email: string): Promise<boolean> {
      await caughtUp();
      const filters = [
        ...(userName ? [{ kind: "text", field: "userName", method: "equalsIgnoreCase", value: userName } as const] : []),
        ...(email ? [{ kind: "text", field: "email", method: "equals", value: email } as const] : []),
      ];
      return search.index.search({ org: undefined, filters, sort: "id", asc: true, offset: 0n, limit: 1 }).total === 0;
    },
  };
}

export type UserSearchQueries = ReturnType<typeof createUserSearchQueries>;
