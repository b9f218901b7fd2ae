import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { AccessTokenType, UserEvent } from "../../events/user.js";
import { uniqueConstraint } from "../uniqueConstraints.js";
import type { UserState } from "./state.js";

export interface AddMachineUser {
  readonly type: "AddMachineUser";
  readonly userName: string;
  readonly name: string;
  readonly description: string;
  readonly accessTokenType: AccessTokenType;
}

export function addMachineUser(command: AddMachineUser, state: UserState): Decision<UserEvent> {
  if (state.kind !== "absent") fail("userIdTaken");
  return {
    events: [
      {
        type: "user.machine.added",
        data: {
          userName: command.userName,
          name: command.name,
          ...(command.description ? { description: command.description } : {}),
          // ZITADEL leaves the default (bearer, 0) out of the payload.
          ...(command.accessTokenType ? { accessTokenType: command.accessTokenType } : {}),
        },
      },
    ],
    uniqueConstraints: [uniqueConstraint("usernames", "add", command.userName)],
  };
}
