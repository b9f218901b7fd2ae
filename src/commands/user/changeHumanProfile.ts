import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { HumanProfileChanged, UserEvent } from "../../events/user.js";
import type { HumanProfile, UserState } from "./state.js";

/** UpdateHumanProfile replaces the whole profile; only what differs is recorded. */
export interface ChangeHumanProfile {
  readonly type: "ChangeHumanProfile";
  readonly resourceOwner: string;
  readonly profile: HumanProfile;
}

/** ZITADEL's ChangeHumanProfile: a machine, as an unknown user, has no profile (COMMAND-3M9sd). */
export function changeHumanProfile(command: ChangeHumanProfile, state: UserState): Decision<UserEvent> {
  if (state.kind !== "human" || state.resourceOwner !== command.resourceOwner) return fail("profileUserNotFound");
  const changed: { -readonly [K in keyof HumanProfileChanged]: HumanProfileChanged[K] } = {};
  for (const field of Object.keys(command.profile) as (keyof HumanProfile)[]) {
    if (command.profile[field] !== state.profile[field]) Object.assign(changed, { [field]: command.profile[field] });
  }
  if (Object.keys(changed).length === 0) fail("profileNotChanged");
  return { events: [{ type: "user.human.profile.changed", data: changed }] };
}
