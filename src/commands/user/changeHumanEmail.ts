import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { HumanCodeAdded, UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface ChangeHumanEmail {
  readonly type: "ChangeHumanEmail";
  readonly resourceOwner: string;
  /** Normalized. */
  readonly email: string;
  readonly isEmailVerified: boolean;
  /** A fresh verification code, encrypted; recorded when the address is not verified. */
  readonly code: HumanCodeAdded;
}

/**
 * ZITADEL's ChangeHumanEmail: the new address, then either its verification or a verification code.
 * The same address is a change only when it is to be marked verified now. A human who has not
 * initialized yet keeps its address (COMMAND-J8dsk), as in ZITADEL's v1 and v2.
 */
export function changeHumanEmail(command: ChangeHumanEmail, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("emailUserNotFound");
  if (!state.initialized) return fail("emailUserNotInitialised");
  const changed = command.email !== state.email;
  if (!changed && !(command.isEmailVerified && !state.isEmailVerified)) fail("emailNotChanged");
  return {
    events: [
      ...(changed ? [{ type: "user.human.email.changed" as const, data: { email: command.email } }] : []),
      command.isEmailVerified ? { type: "user.human.email.verified", data: {} } : { type: "user.human.email.code.added", data: command.code },
    ],
  };
}
