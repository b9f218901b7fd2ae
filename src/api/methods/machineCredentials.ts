import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { newPersonalAccessToken } from "../../commands/user/secrets.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** What a machine user authenticates with: its client secret and personal access tokens. */
export const machineCredentialMethods = ({ commands }: MethodDeps): MethodEntry[] => [
  handle(method.generateMachineSecret, async (request, caller) => {
    const { clientId, clientSecret, details } = await commands.generateMachineSecret(caller, request.userId);
    return { clientId, clientSecret, details: detailsPb(details) };
  }),
  handle(method.removeMachineSecret, async (request, caller) => ({ details: detailsPb((await commands.removeMachineSecret(caller, request.userId)).details) })),
  handle(method.addPersonalAccessToken, async (request, caller) => {
    const token = newPersonalAccessToken();
    const expiration = request.expirationDate
      ? new Date(Number(request.expirationDate.seconds) * 1000).toISOString()
      : "9999-12-31T23:59:59.000Z";
    const { tokenId, details } = await commands.addPersonalAccessToken(caller, request.userId, { token, expiration });
    return { tokenId, token, details: detailsPb(details) };
  }),
];
