import type { Caller } from "../commands/commands.js";
import type { UserCommand } from "../commands/user/decider.js";
import { fail } from "../errors.js";
import type { Queries } from "../queries/queries.js";
import { coversRoles } from "./roles.js";

/** The user a command acts on: its id, and its home org once it exists. */
export interface Target {
  readonly userId: string;
  readonly homeOrg?: string;
}

/**
 * "No escalation", the second half of authorization (the first is the method's permission,
 * src/auth/authorize.ts): nobody changes, locks, removes or creates credentials for a user who
 * holds a role the caller does not itself hold over that scope, and nobody hands out a role it
 * does not hold. Instance roles need the caller's instance roles; an org role is covered by the
 * caller's roles in that org or on the instance. Every user command goes through `assertMayManage`
 * (src/commands/commands.ts, `onUser`).
 */
export interface UserAccess {
  assertMayManage(caller: Caller, target: Target, command: UserCommand["type"]): Promise<void>;
  /** `scope` is "instance" or an org id. */
  assertMayGrant(caller: Caller, scope: string, roles: readonly string[]): Promise<void>;
}

// A state change gives the caller nothing to act with, only takes the user's access away: the
// user's home org decides its lifecycle, and a role the user holds in a foreign org is no shield
// against it. Instance roles still are. Credentials and changes would let the caller act as the
// user wherever the user holds roles, so those count every scope.
const STATE_CHANGES: ReadonlySet<UserCommand["type"]> = new Set(["DeactivateUser", "ReactivateUser", "LockUser", "UnlockUser", "RemoveUser"]);

export function userAccess(queries: Queries): UserAccess {
  const mayHold = async (caller: Caller, scope: string, roles: readonly string[]) =>
    coversRoles(scope === "instance" ? await queries.roles("instance", caller.userId) : await queries.rolesIn(scope, caller.userId), roles);
  return {
    async assertMayManage(caller, { userId, homeOrg }, command) {
      if (caller.userId === userId) return;
      const counts = (scope: string) => !STATE_CHANGES.has(command) || homeOrg === undefined || scope === "instance" || scope === homeOrg;
      for (const { scope, roles } of await queries.memberships(userId)) {
        if (counts(scope) && !(await mayHold(caller, scope, roles))) fail("userOutranksCaller");
      }
    },
    async assertMayGrant(caller, scope, roles) {
      if (!(await mayHold(caller, scope, roles))) fail("roleNotHeld");
    },
  };
}

/** The instance's own setup acts as the system, before any role exists. */
export const systemAccess: UserAccess = {
  assertMayManage: async () => {},
  assertMayGrant: async () => {},
};
