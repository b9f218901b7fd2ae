import { fail } from "../../errors.js";

/** ZITADEL's default password complexity policy (cmd/defaults.yaml). */
export const defaultPasswordComplexity = {
  minLength: 8,
  hasLowercase: true,
  hasUppercase: true,
  hasNumber: true,
  hasSymbol: true,
} as const;

export type PasswordComplexityPolicy = { readonly [K in keyof typeof defaultPasswordComplexity]: (typeof defaultPasswordComplexity)[K] extends boolean ? boolean : number };

/** Throws the first rule the password breaks, in ZITADEL's order. */
export function checkPasswordComplexity(password: string, policy: PasswordComplexityPolicy = defaultPasswordComplexity): void {
  if ([...password].length < policy.minLength) fail("passwordTooShort");
  if (policy.hasLowercase && !/\p{Ll}/u.test(password)) fail("passwordNoLowercase");
  if (policy.hasUppercase && !/\p{Lu}/u.test(password)) fail("passwordNoUppercase");
  if (policy.hasNumber && !/\p{Nd}/u.test(password)) fail("passwordNoNumber");
  if (policy.hasSymbol && !/[^\p{L}\p{N}]/u.test(password)) fail("passwordNoSymbol");
}
