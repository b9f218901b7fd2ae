import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface AddPersonalAccessToken {
  readonly type: "AddPersonalAccessToken";
  readonly resourceOwner: string;
  readonly tokenId: string;
  readonly tokenHash: string;
  readonly expiration: string;
  readonly scopes: readonly string[];
}

/** As in ZITADEL, only machine users get personal access tokens. */
export function addPersonalAccessToken(command: AddPersonalAccessToken, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner) return fail("machineNotExisting");
  return {
    events: [
      {
        type: "user.pat.added",
        data: {
          tokenId: command.tokenId,
          tokenHash: command.tokenHash,
          expiration: command.expiration,
          scopes: [...command.scopes],
        },
      },
    ],
  };
}
