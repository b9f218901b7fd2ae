import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import { exists, type UserState } from "./state.js";

export interface RemoveUser {
  readonly type: "RemoveUser";
  readonly resourceOwner: string;
}

/** ZITADEL's RemoveUser: `user.removed`, and the userName is free again in the same append. */
export function removeUser(command: RemoveUser, state: UserState): Decision<UserEvent> {
  if (!exists(state) || state.resourceOwner !== command.resourceOwner) return fail("removeUserNotFound");
  return {
    events: [{ type: "user.removed", data: { userName: state.userName } }],
    uniqueConstraints: [uniqueConstraint("usernames", "remove", state.userName)],
  };
}
