import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type { Gender } from "../../events/user.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** Human users: creation, profile, contact data, password. */
export const humanMethods = ({ commands }: MethodDeps): MethodEntry[] => [
  handle(method.addHumanUser, async (request, caller) => {
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
  }),
];
