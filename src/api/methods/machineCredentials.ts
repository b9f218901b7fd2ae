import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { newPersonalAccessToken } from "../../commands/user/secrets.js";
import type { PersonalAccessTokenView } from "../../projections/views.js";
import { listDetailsPb, page } from "./listQuery.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** zitadel.user.v1.PersonalAccessToken: never the token, never its hash. */
const personalAccessTokenPb = (token: PersonalAccessTokenView) => ({
  id: token.tokenId,
  details: detailsPb(token.details),
  expirationDate: timestampFromDate(new Date(token.expiration)),
  scopes: [...token.scopes],
});

/** What a machine user authenticates with: its client secret and personal access tokens. */
export const machineCredentialMethods = ({ commands, queries }: MethodDeps): MethodEntry[] => [
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
  handle(method.removePersonalAccessToken, async (request, caller) => ({
    details: detailsPb((await commands.removePersonalAccessToken(caller, request.userId, request.tokenId)).details),
  })),
  handle(method.getPersonalAccessTokenByIDs, async (request, caller) => ({
    token: personalAccessTokenPb(await queries.personalAccessTokenById(request.userId, request.tokenId, caller.orgId)),
  })),
  handle(method.listPersonalAccessTokens, async (request, caller) => {
    const { tokens, processedPosition } = await queries.personalAccessTokensOf(request.userId, caller.orgId);
    return { details: listDetailsPb(tokens.length, processedPosition), result: page(tokens, request.query).map(personalAccessTokenPb) };
  }),
];
