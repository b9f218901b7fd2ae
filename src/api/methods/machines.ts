import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type { AccessTokenType } from "../../events/user.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** Machine users: creation and their own fields. */
export const machineMethods = ({ commands }: MethodDeps): MethodEntry[] => [
  handle(method.addMachineUser, async (request, caller) => {
    const { userId, details } = await commands.addMachineUser(caller, {
      ...(request.userId ? { userId: request.userId } : {}),
      userName: request.userName,
      name: request.name,
      description: request.description,
      accessTokenType: request.accessTokenType as AccessTokenType,
    });
    return { userId, details: detailsPb(details) };
  }),
  handle(method.updateMachine, async (request, caller) => {
    const { details } = await commands.changeMachine(caller, request.userId, {
      name: request.name,
      description: request.description,
      accessTokenType: request.accessTokenType as AccessTokenType,
    });
    return { details: detailsPb(details) };
  }),
];
