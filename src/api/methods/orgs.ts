import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** Organizations and their members. */
export const orgMethods = ({ commands }: MethodDeps): MethodEntry[] => [
  handle(method.addOrg, async (request, caller) => {
    const { orgId, details } = await commands.addOrg(caller, { name: request.name });
    return { id: orgId, details: detailsPb(details) };
  }),
  handle(method.addOrgMember, async (request, caller) => {
    const { details } = await commands.addOrgMember(caller, caller.orgId, { userId: request.userId, roles: request.roles });
    return { details: detailsPb(details) };
  }),
];
