import type { MemberAdded } from "../../events/org.js";
import type { MachineSecretSet, PersonalAccessTokenAdded } from "../../events/user.js";
import type { ReducerTable } from "../projection.js";
import { collections, memberKey, type MachineSecretView, type MemberView, type PersonalAccessTokenView } from "../views.js";

const member = (scope: string, data: MemberAdded) => {
  const doc: MemberView = { scope, userId: data.userId, roles: data.roles };
  return [{ op: "put" as const, collection: collections.members, id: memberKey(scope, data.userId), doc, indexes: { user: data.userId } }];
};

/** What authentication and authorization read: token and secret hashes, and memberships. */
export const accessReducers: ReducerTable = {
  "user.personal.access.token.added": async (event) => {
    const data = event.data as PersonalAccessTokenAdded;
    const doc: PersonalAccessTokenView = {
      tokenId: data.tokenId,
      userId: event.stream.slice("user-".length),
      resourceOwner: event.metadata.resourceOwner,
      expiration: data.expiration,
    };
    return [{ op: "put", collection: collections.personalAccessTokens, id: data.tokenHash, doc }];
  },
  "user.machine.secret.set": async (event) => {
    const doc: MachineSecretView = { hashedSecret: (event.data as MachineSecretSet).hashedSecret };
    return [{ op: "put", collection: collections.machineSecrets, id: event.stream.slice("user-".length), doc }];
  },
  "org.member.added": async (event) => member(event.stream.slice("org-".length), event.data as MemberAdded),
  "instance.member.added": async (event) => member("instance", event.data as MemberAdded),
};
