import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { HumanCodeAdded, UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface ResendHumanInitialization {
  readonly type: "ResendHumanInitialization";
  readonly resourceOwner: string;
  /** Normalized; "" keeps the address. */
  readonly email: string;
  readonly code: HumanCodeAdded;
}

/**
 * ZITADEL's ResendInitialMail: a new initialization code, and the new address first when one is
 * given that differs (the one way to correct the address of a human who has not initialized).
 * ZITADEL's init write model ignores locks, so a locked human that never initialized gets one too.
 */
export function resendHumanInitialization(command: ResendHumanInitialization, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("initUserNotFound");
  if (state.initialized) return fail("userAlreadyInitialised");
  return {
    events: [
      ...(command.email && command.email !== state.email ? [{ type: "user.human.email.changed" as const, data: { email: command.email } }] : []),
      { type: "user.human.initialization.code.added", data: command.code },
    ],
  };
}
