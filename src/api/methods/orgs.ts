import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type { SearchQuery as MemberQuery } from "@zitadel/proto/zitadel/member_pb.js";
import { OrgState } from "@zitadel/proto/zitadel/org_pb.js";
import { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import { Type } from "@zitadel/proto/zitadel/user_pb.js";
import { fail } from "../../errors.js";
import { textMatches, fold } from "../../projections/search/textMatch.js";
import type { MemberView, OrgView, UserView } from "../../projections/views.js";
import { listDetailsPb, searchPage, slice } from "./listQuery.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";
import { textMethods } from "./userSearchQuery.js";

const { method } = ManagementService;

/** Member queries a request may hold: each is a pass over the org's members. */
const MAX_MEMBER_QUERIES = 20;

/** zitadel.org.v1.Org: idledger's orgs are always active. */
const orgPb = (org: OrgView) => ({ id: org.id, details: detailsPb(org.details), state: OrgState.ACTIVE, name: org.name, primaryDomain: org.primaryDomain });

/** zitadel.member.v1.Member: the membership with what ZITADEL joins in from the user. */
const memberPb = (member: MemberView, user: UserView) => ({
  userId: member.userId,
  details: detailsPb(member.details),
  roles: [...member.roles],
  preferredLoginName: user.userName,
  email: user.human?.email.email ?? "",
  firstName: user.human?.profile.firstName ?? "",
  lastName: user.human?.profile.lastName ?? "",
  displayName: user.human?.profile.displayName ?? user.machine?.name ?? "",
  avatarUrl: "",
  userType: user.human ? Type.HUMAN : Type.MACHINE,
  userResourceOwner: user.details.resourceOwner,
});

/** ListOrgMembers' `queries`, all of which a member must match (ZITADEL's member queries on the user's columns). */
function memberFilter(queries: readonly MemberQuery[]): (user: UserView) => boolean {
  if (queries.length > MAX_MEMBER_QUERIES) fail("userQueryTooLarge", `At most ${MAX_MEMBER_QUERIES} member queries`);
  const tests = queries.map(({ query }): ((user: UserView) => boolean) => {
    switch (query.case) {
      case "firstNameQuery":
        return text(query.value.method, query.value.firstName, (user) => user.human?.profile.firstName);
      case "lastNameQuery":
        return text(query.value.method, query.value.lastName, (user) => user.human?.profile.lastName);
      case "emailQuery":
        return text(query.value.method, query.value.email, (user) => user.human?.email.email);
      case "userIdQuery":
        return (user) => user.id === query.value.userId;
      default:
        return fail("userQueryInvalid");
    }
  });
  return (user) => tests.every((test) => test(user));
}

const text = (comparison: TextQueryMethod, wanted: string, field: (user: UserView) => string | undefined) => {
  const method = textMethods[comparison];
  const folded = method.endsWith("IgnoreCase");
  return (user: UserView) => {
    const value = field(user);
    return value !== undefined && textMatches(method, folded ? fold(value) : value, folded ? fold(wanted) : wanted);
  };
};

/** Organizations and their members. */
export const orgMethods = ({ commands, queries }: MethodDeps): MethodEntry[] => [
  handle(method.addOrg, async (request, caller) => {
    const { orgId, details } = await commands.addOrg(caller, { name: request.name });
    return { id: orgId, details: detailsPb(details) };
  }),
  handle(method.getMyOrg, async (_request, caller) => {
    const org = await queries.orgById(caller.orgId);
    return { org: orgPb(org ?? fail("orgNotFoundQuery")) };
  }),
  handle(method.getOrgByDomainGlobal, async (request) => ({ org: orgPb(await queries.orgByPrimaryDomain(request.domain)) })),
  handle(method.addOrgMember, async (request, caller) => {
    const { details } = await commands.addOrgMember(caller, caller.orgId, { userId: request.userId, roles: request.roles });
    return { details: detailsPb(details) };
  }),
  handle(method.listOrgMembers, async (request, caller) => {
    const { offset, limit } = searchPage(request.query);
    const matches = memberFilter(request.queries);
    const { members, processedPosition } = await queries.membersOf(caller.orgId);
    const found: ReturnType<typeof memberPb>[] = [];
    for (const member of members) {
      const user = await queries.user(member.userId);
      if (user && matches(user)) found.push(memberPb(member, user));
    }
    return { details: listDetailsPb(found.length, processedPosition), result: slice(found, offset, limit) };
  }),
];
