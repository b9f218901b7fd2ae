import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { listDetailsPb, searchPage, slice } from "./listQuery.js";
import { membershipFilter, membershipPb } from "./memberships.js";
import { changePb, detailsPb, userPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";
import { sortColumnOf, userFilters } from "./userSearchQuery.js";

const { method } = ManagementService;

/** Reads and changes that apply to every user, human or machine: its life, from creation to removal. */
export const userMethods = ({ commands, queries, audit, userSearch }: MethodDeps): MethodEntry[] => [
  handle(method.getUserByID, async (request, caller) => ({ user: userPb(await queries.userById(request.id, caller.orgId)) })),
  // Always within the caller's org, as ZITADEL's AppendMyResourceOwnerQuery.
  handle(method.listUsers, async (request, caller) => {
    const { offset, limit, asc } = searchPage(request.query);
    const search = { org: caller.orgId, filters: userFilters(request.queries), sort: sortColumnOf(request.sortingColumn), asc, offset, limit };
    const { users, total, processedPosition } = await userSearch.searchUsers(search);
    return { details: listDetailsPb(total, processedPosition), result: users.map(userPb) };
  }),
  handle(method.getUserByLoginNameGlobal, async (request) => ({ user: userPb(await userSearch.userByLoginNameGlobal(request.loginName)) })),
  handle(method.isUserUnique, async (request) => ({ isUnique: await userSearch.isUserUnique(request.userName, request.email) })),
  // ZITADEL lists the memberships whose resource owner is the instance or the caller's org.
  handle(method.listUserMemberships, async (request, caller) => {
    const { offset, limit } = searchPage(request.query);
    const matches = membershipFilter(request.queries);
    const all = (await queries.memberships(request.userId)).filter((member) => (member.scope === "instance" || member.scope === caller.orgId) && matches(member));
    all.sort((a, b) => (a.scope === b.scope ? 0 : a.scope === "instance" ? -1 : 1));
    const names = { instance: await queries.instanceName(), org: (await queries.orgById(caller.orgId))?.name ?? "" };
    const result = slice(all, offset, limit).map((member) => membershipPb(member, member.scope === "instance" ? names.instance : names.org));
    return { details: listDetailsPb(all.length, await queries.processedPosition()), result };
  }),
  handle(method.listUserChanges, async (request, caller) => {
    const { sequence = 0n, limit = 0, asc = false } = request.query ?? {};
    return { result: (await audit.userChanges(request.userId, caller.orgId, { sequence: Number(sequence), limit, asc })).map(changePb) };
  }),
  handle(method.deactivateUser, async (request, caller) => ({ details: detailsPb((await commands.changeUserState(caller, request.id, "DeactivateUser")).details) })),
  handle(method.reactivateUser, async (request, caller) => ({ details: detailsPb((await commands.changeUserState(caller, request.id, "ReactivateUser")).details) })),
  handle(method.lockUser, async (request, caller) => ({ details: detailsPb((await commands.changeUserState(caller, request.id, "LockUser")).details) })),
  handle(method.unlockUser, async (request, caller) => ({ details: detailsPb((await commands.changeUserState(caller, request.id, "UnlockUser")).details) })),
  handle(method.updateUserName, async (request, caller) => ({ details: detailsPb((await commands.changeUserName(caller, request.userId, { userName: request.userName })).details) })),
  handle(method.removeUser, async (request, caller) => {
    const memberships = (await queries.memberships(request.id)).map((member) => member.scope);
    return { details: detailsPb((await commands.removeUser(caller, request.id, memberships)).details) };
  }),
];
