import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface RemoveMachineSecret {
  readonly type: "RemoveMachineSecret";
  readonly resourceOwner: string;
}

/** ZITADEL's RemoveMachineSecret: a user that is not a machine of this org does not exist here. */
export function removeMachineSecret(command: RemoveMachineSecret, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner) return fail("removeSecretUserNotFound");
  if (!state.hasSecret) return fail("machineSecretNotExisting");
  return { events: [{ type: "user.machine.secret.removed", data: {} }] };
}
