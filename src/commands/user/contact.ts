import { fail } from "../../errors.js";

/** ZITADEL's domain.EmailAddress check (internal/domain/human_email.go). */
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  if (!emailPattern.test(trimmed)) fail("emailInvalid");
  return trimmed;
}

/**
 * E.164, as ZITADEL stores phones: separators dropped, "+", then 2 to 15 digits. (ZITADEL also
 * reads national numbers as Swiss; the v1 API's `validate.rules` already demand the "+".)
 */
export function normalizePhone(phone: string): string {
  const compact = phone.replace(/[\s().-]/g, "");
  if (!/^\+[1-9]\d{1,14}$/.test(compact)) fail("phoneInvalid");
  return compact;
}
