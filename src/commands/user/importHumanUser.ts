import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { HumanCodeAdded, UserEvent } from "../../events/user.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import type { AddHumanUser } from "./addHumanUser.js";
import type { HumanProfile, UserState } from "./state.js";

export interface ImportHumanUser {
  readonly type: "ImportHumanUser";
  readonly userName: string;
  /** displayName already defaulted to "first last". */
  readonly profile: HumanProfile;
  readonly email: AddHumanUser["email"];
  /** phone "" when there is none. */
  readonly phone: AddHumanUser["phone"];
  /** idledger's scrypt hash of a plain password, or another system's hash as it was given. */
  readonly encodedHash?: string;
  readonly changeRequired: boolean;
  readonly initCode: HumanCodeAdded;
  readonly phoneCode: HumanCodeAdded;
}

/**
 * ZITADEL's ImportHuman (createHuman): `user.human.added` with the password; then, unless the human
 * arrives with both a verified email and a password, an initialization code (and its email is NOT
 * marked verified, as in ZITADEL); else the email's verification. A phone is verified or gets a code.
 */
export function importHumanUser(command: ImportHumanUser, state: UserState): Decision<UserEvent> {
  if (state.kind !== "absent") fail("userIdTaken");
  const { profile, email, phone } = command;
  const initial = !email.isEmailVerified || !command.encodedHash;
  const events: UserEvent[] = [
    {
      type: "user.human.added",
      data: {
        userName: command.userName,
        firstName: profile.firstName,
        lastName: profile.lastName,
        ...(profile.nickName ? { nickName: profile.nickName } : {}),
        displayName: profile.displayName,
        ...(profile.preferredLanguage ? { preferredLanguage: profile.preferredLanguage } : {}),
        gender: profile.gender,
        email: email.email,
        ...(phone.phone ? { phone: phone.phone } : {}),
        ...(command.encodedHash ? { encodedHash: command.encodedHash, changeRequired: command.changeRequired } : {}),
      },
    },
    initial ? { type: "user.human.initialization.code.added", data: command.initCode } : { type: "user.human.email.verified", data: {} },
  ];
  if (phone.phone) events.push(phone.isPhoneVerified ? { type: "user.human.phone.verified", data: {} } : { type: "user.human.phone.code.added", data: command.phoneCode });
  return { events, uniqueConstraints: [uniqueConstraint("usernames", "add", command.userName)] };
}
