import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface ErasePersonalData {
  readonly type: "ErasePersonalData";
  /** Whether the key store holds (or held) a key for the user: without one its data was never encrypted. */
  readonly hasKey: boolean;
}

/** Crypto-shredding of a removed user: `user.personal.data.erased`, once; erasing again records nothing. */
export function erasePersonalData(command: ErasePersonalData, state: UserState): Decision<UserEvent> {
  if (state.kind === "absent") return fail("eraseUserNotFound");
  if (state.kind !== "removed") return fail("eraseUserNotRemoved");
  if (state.erased) return { events: [] };
  if (!command.hasKey) return fail("eraseUserNotEncrypted");
  return { events: [{ type: "user.personal.data.erased", data: {} }] };
}
