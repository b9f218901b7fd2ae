import { fail } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import type { Projector } from "../projections/projector.js";
import type { ReadModel } from "../projections/readModel.js";
import {
  collections,
  machineKeyId,
  memberKey,
  type MachineKeyView,
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

    /** Roles of `userId` in `scope` ("instance" or an org id). */
    async roles(scope: string, userId: string): Promise<readonly string[]> {
      return (await readModel.get<MemberView>(collections.members, memberKey(scope, userId)))?.roles ?? [];
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
