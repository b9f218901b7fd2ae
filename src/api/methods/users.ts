import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { changePb, userPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** Reads and changes that apply to every user, human or machine. */
export const userMethods = ({ queries, audit }: MethodDeps): MethodEntry[] => [
  handle(method.getUserByID, async (request, caller) => ({ user: userPb(await queries.userById(request.id, caller.orgId)) })),
  handle(method.listUserChanges, async (request, caller) => {
    const { sequence = 0n, limit = 0, asc = false } = request.query ?? {};
    return { result: (await audit.userChanges(request.userId, caller.orgId, { sequence: Number(sequence), limit, asc })).map(changePb) };
  }),
];
