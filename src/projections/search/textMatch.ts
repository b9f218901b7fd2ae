import type { TextMethod } from "./userSearch.js";

/**
 * Case folding for the _IGNORE_CASE methods and for case-insensitive sorting (ZITADEL's ILIKE,
 * LOWER). Code point by code point: `toLowerCase` alone turns a word-final Σ into ς and any other
 * into σ, so a folded value would not contain the folded part of it ("ΑΑΣΑ", "ΑΑΣ"), and the
 * trigram candidates would miss users that match; Unicode case folding maps both sigmas to σ.
 */
export const fold = (text: string): string => {
  const lower = text.toLowerCase();
  return lower.includes("ς") ? lower.replaceAll("ς", "σ") : lower;
};

export const ignoresCase = (method: TextMethod): boolean => method.endsWith("IgnoreCase");

/**
 * ZITADEL's text comparisons (query.TextComparison) as plain string operations: its LIKE patterns
 * escape `%` and `_`, so here no character is a wildcard. With an _IGNORE_CASE method, `value`
 * and `wanted` must both be folded already.
 */
export function textMatches(method: TextMethod, value: string, wanted: string): boolean {
  switch (method) {
    case "equals":
    case "equalsIgnoreCase":
      return value === wanted;
    case "startsWith":
    case "startsWithIgnoreCase":
      return value.startsWith(wanted);
    case "contains":
    case "containsIgnoreCase":
      return value.includes(wanted);
    case "endsWith":
    case "endsWithIgnoreCase":
      return value.endsWith(wanted);
    default: {
      const unknown: never = method;
      return unknown;
    }
  }
}
