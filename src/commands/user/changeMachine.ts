import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { AccessTokenType, MachineChanged, UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

/** UpdateMachine replaces name, description and accessTokenType; only what differs is recorded. */
export interface ChangeMachine {
  readonly type: "ChangeMachine";
  readonly resourceOwner: string;
  readonly name: string;
  readonly description: string;
  readonly accessTokenType: AccessTokenType;
}

export function changeMachine(command: ChangeMachine, state: UserState): Decision<UserEvent> {
  // As ZITADEL's machine write model, a human is simply not found here.
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner) return fail("userNotFound");
  const changed: { -readonly [K in keyof MachineChanged]: MachineChanged[K] } = {};
  if (command.name !== state.name) changed.name = command.name;
  if (command.description !== state.description) changed.description = command.description;
  if (command.accessTokenType !== state.accessTokenType) changed.accessTokenType = command.accessTokenType;
  if (Object.keys(changed).length === 0) fail("userNotChanged");
  return { events: [{ type: "user.machine.changed", data: changed }] };
}
