import { fail } from "../../errors.js";

/**
 * ZITADEL's generated org domain (domain.NewIAMDomainName): spaces become "-", everything but
 * letters, marks, digits and "-" is dropped, one leading and trailing "-" is trimmed, and the
 * lower-cased label goes under the instance domain.
 */
export function orgDomainName(orgName: string, externalDomain: string): string {
  const label = orgName
    .replaceAll(" ", "-")
    .replace(/[^\p{L}\p{M}0-9-]/gu, "")
    .slice(0, 63)
    .replace(/^-/, "")
    .replace(/-$/, "");
  if (!label) return fail("orgDomainEmpty");
  return `${label}.${externalDomain}`.toLowerCase();
}
