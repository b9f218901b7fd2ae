import type { Decision } from "../decider.js";
import { fail, type ErrorName } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import { exists, userStateName, type UserState } from "./state.js";

export type LifecycleCommandType = "DeactivateUser" | "ReactivateUser" | "LockUser" | "UnlockUser";

export interface LifecycleCommand {
  readonly type: LifecycleCommandType;
  readonly resourceOwner: string;
}

type StateName = ReturnType<typeof userStateName>;
type LifecycleEvent = "user.deactivated" | "user.reactivated" | "user.locked" | "user.unlocked";

/**
 * ZITADEL's state changes (internal/command/user.go): which states each one starts from, its event,
 * and its refusals. Deactivating an INITIAL user is refused with FailedPrecondition as ZITADEL's
 * v2 API does (its v1 answers NotFound with the same id).
 */
const transitions: Readonly<Record<LifecycleCommandType, { from: readonly StateName[]; event: LifecycleEvent; notFound: ErrorName; refused: (state: StateName) => ErrorName }>> = {
  DeactivateUser: {
    from: ["USER_STATE_ACTIVE", "USER_STATE_LOCKED"],
    event: "user.deactivated",
    notFound: "deactivateUserNotFound",
    refused: (state) => (state === "USER_STATE_INITIAL" ? "deactivateInitialUser" : "userAlreadyInactive"),
  },
  ReactivateUser: { from: ["USER_STATE_INACTIVE"], event: "user.reactivated", notFound: "reactivateUserNotFound", refused: () => "userNotInactive" },
  LockUser: { from: ["USER_STATE_ACTIVE", "USER_STATE_INITIAL"], event: "user.locked", notFound: "lockUserNotFound", refused: () => "userNotActiveOrInitial" },
  UnlockUser: { from: ["USER_STATE_LOCKED"], event: "user.unlocked", notFound: "unlockUserNotFound", refused: () => "userNotLocked" },
};

export function changeLifecycle(command: LifecycleCommand, state: UserState): Decision<UserEvent> {
  const transition = transitions[command.type];
  if (!exists(state) || state.resourceOwner !== command.resourceOwner) return fail(transition.notFound);
  const current = userStateName(state);
  if (!transition.from.includes(current)) return fail(transition.refused(current));
  return { events: [{ type: transition.event, data: {} }] };
}
