import type { MembershipQuery } from "@zitadel/proto/zitadel/user_pb.js";
import { fail } from "../../errors.js";
import type { MemberView } from "../../projections/views.js";
import { detailsPb } from "./pb.js";

/** Membership queries a request may hold. */
const MAX_MEMBERSHIP_QUERIES = 20;

/** zitadel.user.v1.Membership: of the instance (`iam`) or of an org, shown by its name. */
export const membershipPb = (member: MemberView, displayName: string) => ({
  userId: member.userId,
  details: detailsPb(member.details),
  roles: [...member.roles],
  displayName,
  type: member.scope === "instance" ? { case: "iam" as const, value: true } : { case: "orgId" as const, value: member.scope },
});

/** ListUserMemberships' `queries`, all of which must hold; idledger has no projects, so a project query matches nothing. */
export function membershipFilter(queries: readonly MembershipQuery[]): (member: MemberView) => boolean {
  if (queries.length > MAX_MEMBERSHIP_QUERIES) fail("userQueryTooLarge", `At most ${MAX_MEMBERSHIP_QUERIES} membership queries`);
  const tests = queries.map(({ query }): ((member: MemberView) => boolean) => {
    switch (query.case) {
      case "orgQuery":
        return (member) => member.scope === query.value.orgId;
      case "iamQuery":
        return (member) => (member.scope === "instance") === query.value.iam;
      case "projectQuery":
      case "projectGrantQuery":
        return () => false;
      default:
        return fail("userQueryInvalid");
    }
  });
  return (member) => tests.every((test) => test(member));
}
