import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { CryptoValue } from "../../crypto/cryptoValue.js";
import type { HumanAdded, UserEvent } from "../../events/user.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import type { HumanProfile, UserState } from "./state.js";

export interface AddHumanUser {
  readonly type: "AddHumanUser";
  readonly userName: string;
  readonly profile: HumanProfile;
  readonly email: { readonly email: string; readonly isEmailVerified: boolean };
  readonly phone: { readonly phone: string; readonly isPhoneVerified: boolean };
  /** scrypt hash of the initial password, checked against the complexity policy before hashing. */
  readonly encodedHash?: string;
  /** A fresh initialization code, encrypted; used when the user must still initialize. */
  readonly initCode: CryptoValue;
  readonly initCodeExpiryNanos: number;
}

/**
 * ZITADEL's AddHuman: `user.human.added`, then verified markers, and an initialization code
 * when the email is unverified or no password is set.
 */
export function addHumanUser(command: AddHumanUser, state: UserState): Decision<UserEvent> {
  if (state.kind !== "absent") fail("userIdTaken");
  const { profile, email, phone } = command;
  const added: HumanAdded = {
    userName: command.userName,
    firstName: profile.firstName,
    lastName: profile.lastName,
    ...(profile.nickName ? { nickName: profile.nickName } : {}),
    displayName: profile.displayName || `${profile.firstName} ${profile.lastName}`,
    ...(profile.preferredLanguage ? { preferredLanguage: profile.preferredLanguage } : {}),
    gender: profile.gender,
    email: email.email,
    ...(phone.phone ? { phone: phone.phone } : {}),
    ...(command.encodedHash ? { encodedHash: command.encodedHash, changeRequired: false } : {}),
  };
  const events: UserEvent[] = [{ type: "user.human.added", data: added }];
  if (email.isEmailVerified) events.push({ type: "user.human.email.verified", data: {} });
  if (phone.phone && phone.isPhoneVerified) events.push({ type: "user.human.phone.verified", data: {} });
  if (!email.isEmailVerified || !command.encodedHash) {
    events.push({
      type: "user.human.initialization.code.added",
      data: { code: command.initCode, expiry: command.initCodeExpiryNanos },
    });
  }
  return { events, uniqueConstraints: [uniqueConstraint("usernames", "add", command.userName)] };
}
