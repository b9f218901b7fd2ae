import { timingSafeEqual } from "node:crypto";
import { sha256Hash } from "../commands/user/secrets.js";

/**
 * Whether `value` hashes to `stored` (`sha256:<hex>`), in constant time: how much of a guessed
 * secret or token matches must not show in the answer's timing.
 */
export function matchesHash(value: string, stored: string | undefined): boolean {
  if (!stored) return false;
  const computed = Buffer.from(sha256Hash(value));
  const expected = Buffer.from(stored);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
