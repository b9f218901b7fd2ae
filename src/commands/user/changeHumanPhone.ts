import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { HumanCodeAdded, UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface ChangeHumanPhone {
  readonly type: "ChangeHumanPhone";
  readonly resourceOwner: string;
  /** E.164. */
  readonly phone: string;
  readonly isPhoneVerified: boolean;
  /** A fresh verification code, encrypted; recorded when the number is not verified. */
  readonly code: HumanCodeAdded;
}

/** ZITADEL's ChangeHumanPhone: as for the email, the same number is a change only when it is verified now. */
export function changeHumanPhone(command: ChangeHumanPhone, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("phoneUserNotFound");
  const changed = command.phone !== state.phone;
  if (!changed && !(command.isPhoneVerified && !state.isPhoneVerified)) fail("phoneNotChanged");
  return {
    events: [
      ...(changed ? [{ type: "user.human.phone.changed" as const, data: { phone: command.phone } }] : []),
      command.isPhoneVerified ? { type: "user.human.phone.verified", data: {} } : { type: "user.human.phone.code.added", data: command.code },
    ],
  };
}
