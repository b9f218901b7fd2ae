import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface RemovePersonalAccessToken {
  readonly type: "RemovePersonalAccessToken";
  readonly resourceOwner: string;
  readonly tokenId: string;
}

/** ZITADEL's RemovePersonalAccessToken: a token of another user, another org or a removed user is not found. */
export function removePersonalAccessToken(command: RemovePersonalAccessToken, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner || !state.tokenIds.includes(command.tokenId)) {
    return fail("personalAccessTokenNotFound");
  }
  return { events: [{ type: "user.pat.removed", data: { tokenId: command.tokenId } }] };
}
