import type { DescMethod } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ManagementService,
  type AddHumanUserRequest,
  type AddMachineUserRequest,
  type AddOrgMemberRequest,
  type AddOrgRequest,
  type AddPersonalAccessTokenRequest,
  type GenerateMachineSecretRequest,
  type GetUserByIDRequest,
  type ListUserChangesRequest,
  type UpdateMachineRequest,
} from "@zitadel/proto/zitadel/management_pb.js";
import { UserState } from "@zitadel/proto/zitadel/user_pb.js";
import type { AuditEntry, AuditLog } from "../audit/auditLog.js";
import { localizedEventType } from "../audit/localized.js";
import type { Commands } from "../commands/commands.js";
import type { ObjectDetails } from "../commands/details.js";
import { newPersonalAccessToken } from "../commands/user/secrets.js";
import type { AccessTokenType, Gender } from "../events/user.js";
import type { UserView } from "../projections/views.js";
import type { Queries } from "../queries/queries.js";
import { publicMethod, servedMethod, type MethodHandler, type ServedMethod } from "./pipeline.js";

/** zitadel.v1.ObjectDetails from our details: uint64 sequence, Timestamps. */
export const detailsPb = (details: ObjectDetails) => ({
  sequence: BigInt(details.sequence),
  creationDate: timestampFromDate(new Date(details.creationDate)),
  changeDate: timestampFromDate(new Date(details.changeDate)),
  resourceOwner: details.resourceOwner,
});

const userPb = (user: UserView) => ({
  id: user.id,
  details: detailsPb(user.details),
  state: user.state === "USER_STATE_INITIAL" ? UserState.INITIAL : UserState.ACTIVE,
  userName: user.userName,
  // The default domain policy (userLoginMustBeDomain = false): the login name is the userName.
  loginNames: [user.userName],
  preferredLoginName: user.userName,
  type: user.machine
    ? { case: "machine" as const, value: user.machine }
    : { case: "human" as const, value: user.human! },
});

/** zitadel.change.v1.Change: `sequence` is the user's own (revision + 1), as in `details`. */
const changePb = ({ event, editor }: AuditEntry) => ({
  changeDate: timestampFromDate(new Date(event.metadata.createdAt)),
  eventType: localizedEventType(event.type),
  sequence: BigInt(event.revision + 1),
  editorId: editor.userId,
  editorDisplayName: editor.displayName,
  resourceOwnerId: event.metadata.resourceOwner,
  editorPreferredLoginName: editor.preferredLoginName,
  editorAvatarUrl: "",
});

/** The ManagementService methods idledger serves, by name; every other method answers UNIMPLEMENTED. */
export function createMethods(commands: Commands, queries: Queries, audit: AuditLog): ReadonlyMap<string, ServedMethod> {
  const handlers: Record<string, MethodHandler> = {
    async AddMachineUser(request: AddMachineUserRequest, caller) {
      const { userId, details } = await commands.addMachineUser(caller, {
        ...(request.userId ? { userId: request.userId } : {}),
        userName: request.userName,
        name: request.name,
        description: request.description,
        accessTokenType: request.accessTokenType as AccessTokenType,
      });
      return { userId, details: detailsPb(details) };
    },
    async UpdateMachine(request: UpdateMachineRequest, caller) {
      const { details } = await commands.changeMachine(caller, request.userId, {
        name: request.name,
        description: request.description,
        accessTokenType: request.accessTokenType as AccessTokenType,
      });
      return { details: detailsPb(details) };
    },
    async GenerateMachineSecret(request: GenerateMachineSecretRequest, caller) {
      const { clientId, clientSecret, details } = await commands.generateMachineSecret(caller, request.userId);
      return { clientId, clientSecret, details: detailsPb(details) };
    },
    async AddHumanUser(request: AddHumanUserRequest, caller) {
      const profile = request.profile!;
      const { userId, details } = await commands.addHumanUser(caller, {
        userName: request.userName,
        profile: {
          firstName: profile.firstName,
          lastName: profile.lastName,
          nickName: profile.nickName,
          displayName: profile.displayName,
          preferredLanguage: profile.preferredLanguage,
          gender: profile.gender as Gender,
        },
        email: { email: request.email!.email, isEmailVerified: request.email!.isEmailVerified },
        phone: { phone: request.phone?.phone ?? "", isPhoneVerified: request.phone?.isPhoneVerified ?? false },
        initialPassword: request.initialPassword,
      });
      return { userId, details: detailsPb(details) };
    },
    async GetUserByID(request: GetUserByIDRequest, caller) {
      return { user: userPb(await queries.userById(request.id, caller.orgId)) };
    },
    async ListUserChanges(request: ListUserChangesRequest, caller) {
      const { sequence = 0n, limit = 0, asc = false } = request.query ?? {};
      return { result: (await audit.userChanges(request.userId, caller.orgId, { sequence: Number(sequence), limit, asc })).map(changePb) };
    },
    async AddOrg(request: AddOrgRequest, caller) {
      const { orgId, details } = await commands.addOrg(caller, { name: request.name });
      return { id: orgId, details: detailsPb(details) };
    },
    async AddOrgMember(request: AddOrgMemberRequest, caller) {
      const { details } = await commands.addOrgMember(caller, caller.orgId, { userId: request.userId, roles: request.roles });
      return { details: detailsPb(details) };
    },
    async AddPersonalAccessToken(request: AddPersonalAccessTokenRequest, caller) {
      const token = newPersonalAccessToken();
      const expiration = request.expirationDate
        ? new Date(Number(request.expirationDate.seconds) * 1000).toISOString()
        : "9999-12-31T23:59:59.000Z";
      const { tokenId, details } = await commands.addPersonalAccessToken(caller, request.userId, { token, expiration });
      return { tokenId, token, details: detailsPb(details) };
    },
  };

  const served = new Map<string, ServedMethod>();
  for (const method of ManagementService.methods) {
    const handler = handlers[method.name];
    if (handler) served.set(method.name, servedMethod(method, queries, handler));
  }
  served.set("Healthz", publicMethod(method("Healthz"), async () => ({})));
  return served;
}

const method = (name: string): DescMethod => ManagementService.methods.find((m) => m.name === name)!;
