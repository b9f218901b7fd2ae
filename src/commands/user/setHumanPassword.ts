import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

/** SetHumanPassword and SetHumanInitialPassword (the latter always requires a change). */
export interface SetHumanPassword {
  readonly type: "SetHumanPassword";
  readonly resourceOwner: string;
  /** scrypt hash of a password that passed the complexity policy. */
  readonly encodedHash: string;
  readonly changeRequired: boolean;
}

/**
 * ZITADEL's SetPassword: a human who has not initialized cannot be given a password
 * (COMMAND-M9dse); it initializes by redeeming its initialization code. A new hash is always a
 * change (ZITADEL does not compare it with the old password either).
 */
export function setHumanPassword(command: SetHumanPassword, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("passwordUserNotFound");
  if (!state.initialized) return fail("passwordUserNotInitialised");
  return { events: [{ type: "user.human.password.changed", data: { encodedHash: command.encodedHash, changeRequired: command.changeRequired } }] };
}
