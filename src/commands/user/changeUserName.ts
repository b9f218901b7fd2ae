import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import { exists, type UserState } from "./state.js";

export interface ChangeUserName {
  readonly type: "ChangeUserName";
  readonly resourceOwner: string;
  /** Trimmed, not empty. */
  readonly userName: string;
}

/**
 * ZITADEL's ChangeUsername: the old name is given back and the new one claimed in the same append,
 * so racing renames to one name have exactly one winner. A change of case only is a change.
 */
export function changeUserName(command: ChangeUserName, state: UserState): Decision<UserEvent> {
  if (!exists(state) || state.resourceOwner !== command.resourceOwner) return fail("changeUserNameNotFound");
  if (state.userName === command.userName) return fail("userNameNotChanged");
  return {
    events: [{ type: "user.username.changed", data: { userName: command.userName, oldUserName: state.userName } }],
    uniqueConstraints: [uniqueConstraint("usernames", "remove", state.userName), uniqueConstraint("usernames", "add", command.userName)],
  };
}
