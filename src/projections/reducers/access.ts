import type { RecordedEvent } from "../../events/envelope.js";
import type { MemberAdded, MemberCascadeRemoved } from "../../events/org.js";
import type { MachineSecretSet, PersonalAccessTokenAdded, PersonalAccessTokenRemoved } from "../../events/user.js";
import type { ProjectionView, ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, madeBy, memberKey, type MachineSecretView, type MemberView, type PersonalAccessTokenView } from "../views.js";

// An imported log may name a role twice; the view holds each once.
const member = (scope: string, event: RecordedEvent): Write[] => {
  const data = event.data as MemberAdded;
  const doc: MemberView = { scope, userId: data.userId, roles: [...new Set(data.roles)], details: madeBy(event) };
  return [{ op: "put", collection: collections.members, id: memberKey(scope, data.userId), doc, indexes: { user: data.userId, scope } }];
};

const memberRemoved = (scope: string, data: MemberCascadeRemoved): Write[] => [{ op: "delete", collection: collections.members, id: memberKey(scope, data.userId) }];

const orgOf = (event: RecordedEvent) => event.stream.slice("org-".length);
const userOf = (event: RecordedEvent) => event.stream.slice("user-".length);

/** Everything that lets a user in goes with the user: its tokens, its secret and its memberships. */
async function accessOfRemovedUser(event: RecordedEvent, view: ProjectionView): Promise<Write[]> {
  const userId = userOf(event);
  const [tokens, memberships] = await Promise.all([
    view.find(collections.personalAccessTokens, "user", userId),
    view.find(collections.members, "user", userId),
  ]);
  return [
    ...tokens.map((id): Write => ({ op: "delete", collection: collections.personalAccessTokens, id })),
    ...memberships.map((id): Write => ({ op: "delete", collection: collections.members, id })),
    { op: "delete", collection: collections.machineSecrets, id: userId },
  ];
}

/**
 * The removal names the token by its id, the view keys it by its hash: the `token` index finds
 * the document, and only this user's counts (ids are the generator's, but a log may be imported).
 */
async function personalAccessTokenRemoved(event: RecordedEvent, view: ProjectionView): Promise<Write[]> {
  const userId = userOf(event);
  const hashes = await view.find(collections.personalAccessTokens, "token", (event.data as PersonalAccessTokenRemoved).tokenId);
  const tokens = await Promise.all(hashes.map(async (id) => ({ id, token: await view.get<PersonalAccessTokenView>(collections.personalAccessTokens, id) })));
  return tokens.filter(({ token }) => token?.userId === userId).map(({ id }): Write => ({ op: "delete", collection: collections.personalAccessTokens, id }));
}

/** What authentication and authorization read: token and secret hashes, and memberships. */
export const accessReducers: ReducerTable = {
  "user.pat.added": async (event) => {
    const data = event.data as PersonalAccessTokenAdded;
    const userId = userOf(event);
    const doc: PersonalAccessTokenView = {
      tokenId: data.tokenId,
      userId,
      resourceOwner: event.metadata.resourceOwner,
      expiration: data.expiration,
      scopes: data.scopes,
      details: madeBy(event),
    };
    return [{ op: "put", collection: collections.personalAccessTokens, id: data.tokenHash, doc, indexes: { user: userId, token: data.tokenId } }];
  },
  "user.pat.removed": personalAccessTokenRemoved,
  "user.machine.secret.set": async (event) => {
    const doc: MachineSecretView = { hashedSecret: (event.data as MachineSecretSet).hashedSecret };
    return [{ op: "put", collection: collections.machineSecrets, id: userOf(event), doc }];
  },
  // A removed secret stops working at once: nothing is left to check a presented one against.
  "user.machine.secret.removed": async (event) => [{ op: "delete", collection: collections.machineSecrets, id: userOf(event) }],
  "user.removed": accessOfRemovedUser,
  "org.member.added": async (event) => member(orgOf(event), event),
  "org.member.cascade.removed": async (event) => memberRemoved(orgOf(event), event.data as MemberCascadeRemoved),
  "instance.member.added": async (event) => member("instance", event),
  "instance.member.cascade.removed": async (event) => memberRemoved("instance", event.data as MemberCascadeRemoved),
};
