import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type { Caller } from "../../commands/commands.js";
import type { ErrorName } from "../../errors.js";
import type { Gender } from "../../events/user.js";
import type { UserView } from "../../projections/views.js";
import type { Queries } from "../../queries/queries.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** A request's profile (AddHumanUser, ImportHumanUser, UpdateHumanProfile), as the deciders hold it. */
const profileOf = (profile: { firstName: string; lastName: string; nickName: string; displayName: string; preferredLanguage: string; gender: number }) => ({
  firstName: profile.firstName,
  lastName: profile.lastName,
  nickName: profile.nickName,
  displayName: profile.displayName,
  preferredLanguage: profile.preferredLanguage,
  gender: profile.gender as Gender,
});

type Human = NonNullable<UserView["human"]>;

/** GetHumanProfile, GetHumanEmail, GetHumanPhone: one part of a human, refused with that read's own ids. */
async function partOf<K extends keyof Human>(queries: Queries, userId: string, caller: Caller, part: K, refusals: { notFound: ErrorName; notHuman: ErrorName }) {
  const { details, human } = await queries.humanById(userId, caller.orgId, refusals);
  return { details: detailsPb(details), [part]: human[part] } as { details: ReturnType<typeof detailsPb> } & Record<K, Human[K]>;
}

/** Human users: creation, profile, contact data, password. */
export const humanMethods = ({ commands, queries }: MethodDeps): MethodEntry[] => [
  handle(method.addHumanUser, async (request, caller) => {
    const { userId, details } = await commands.addHumanUser(caller, {
      userName: request.userName,
      profile: profileOf(request.profile!),
      email: { email: request.email!.email, isEmailVerified: request.email!.isEmailVerified },
      phone: { phone: request.phone?.phone ?? "", isPhoneVerified: request.phone?.isPhoneVerified ?? false },
      initialPassword: request.initialPassword,
    });
    return { userId, details: detailsPb(details) };
  }),
  handle(method.importHumanUser, async (request, caller) => {
    const { userId, details } = await commands.importHumanUser(caller, {
      userName: request.userName,
      profile: profileOf(request.profile!),
      email: { email: request.email!.email, isEmailVerified: request.email!.isEmailVerified },
      phone: { phone: request.phone?.phone ?? "", isPhoneVerified: request.phone?.isPhoneVerified ?? false },
      password: request.password,
      hashedPassword: request.hashedPassword?.value ?? "",
      passwordChangeRequired: request.passwordChangeRequired,
      requestPasswordlessRegistration: request.requestPasswordlessRegistration,
      idpLinks: request.idps.length,
    });
    return { userId, details: detailsPb(details) };
  }),
  handle(method.getHumanProfile, (request, caller) => partOf(queries, request.userId, caller, "profile", { notFound: "humanProfileNotFound", notHuman: "profileNotHuman" })),
  handle(method.updateHumanProfile, async (request, caller) => ({
    details: detailsPb((await commands.changeHumanProfile(caller, request.userId, profileOf(request))).details),
  })),
  handle(method.getHumanEmail, (request, caller) => partOf(queries, request.userId, caller, "email", { notFound: "humanEmailNotFound", notHuman: "emailNotHuman" })),
  handle(method.updateHumanEmail, async (request, caller) => {
    const input = { email: request.email, isEmailVerified: request.isEmailVerified };
    return { details: detailsPb((await commands.changeHumanEmail(caller, request.userId, input)).details) };
  }),
  handle(method.getHumanPhone, (request, caller) => partOf(queries, request.userId, caller, "phone", { notFound: "humanPhoneNotFound", notHuman: "phoneNotHuman" })),
  handle(method.updateHumanPhone, async (request, caller) => {
    const input = { phone: request.phone, isPhoneVerified: request.isPhoneVerified };
    return { details: detailsPb((await commands.changeHumanPhone(caller, request.userId, input)).details) };
  }),
  handle(method.removeHumanPhone, async (request, caller) => ({ details: detailsPb((await commands.removeHumanPhone(caller, request.userId)).details) })),
  handle(method.resendHumanInitialization, async (request, caller) => ({
    details: detailsPb((await commands.resendHumanInitialization(caller, request.userId, { email: request.email })).details),
  })),
  handle(method.setHumanPassword, async (request, caller) => {
    const input = { password: request.password, changeRequired: !request.noChangeRequired };
    return { details: detailsPb((await commands.setHumanPassword(caller, request.userId, input)).details) };
  }),
  // ZITADEL's SetHumanInitialPassword is SetPassword with a change required ("one-time password").
  handle(method.setHumanInitialPassword, async (request, caller) => ({
    details: detailsPb((await commands.setHumanPassword(caller, request.userId, { password: request.password, changeRequired: true })).details),
  })),
];
