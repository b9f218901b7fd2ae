import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface RemoveMachineKey {
  readonly type: "RemoveMachineKey";
  readonly resourceOwner: string;
  readonly keyId: string;
}

/** ZITADEL's RemoveUserMachineKey: an unknown key (or user, or a user of another org) is not found. */
export function removeMachineKey(command: RemoveMachineKey, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner || !state.keyIds.includes(command.keyId)) {
    return fail("machineKeyNotFound");
  }
  return { events: [{ type: "user.machine.key.removed", data: { keyId: command.keyId } }] };
}
