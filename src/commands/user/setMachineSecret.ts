import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface SetMachineSecret {
  readonly type: "SetMachineSecret";
  readonly resourceOwner: string;
  /** `sha256:<hex>`: the plaintext never reaches the decider. */
  readonly hashedSecret: string;
}

export function setMachineSecret(command: SetMachineSecret, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner) return fail("machineNotExisting");
  return { events: [{ type: "user.machine.secret.set", data: { hashedSecret: command.hashedSecret } }] };
}
