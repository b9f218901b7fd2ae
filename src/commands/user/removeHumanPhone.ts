import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface RemoveHumanPhone {
  readonly type: "RemoveHumanPhone";
  readonly resourceOwner: string;
}

/** ZITADEL's RemoveHumanPhone: an unknown user is a failed precondition, a missing phone not found. */
export function removeHumanPhone(command: RemoveHumanPhone, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("removePhoneUserNotFound");
  if (!state.phone) return fail("phoneNotFound");
  return { events: [{ type: "user.human.phone.removed", data: {} }] };
}
