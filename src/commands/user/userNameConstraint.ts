import type { UniqueConstraint } from "../../events/eventStore.js";

/**
 * userName is unique per instance and compared case-insensitively, as under ZITADEL's default
 * domain policy (userLoginMustBeDomain = false).
 */
export const userNameConstraint = (action: UniqueConstraint["action"], userName: string): UniqueConstraint => ({
  action,
  name: "usernames",
  value: userName.toLowerCase(),
});
