import type { TextMethod } from "./userSearch.js";

/** Case folding for the _IGNORE_CASE methods and for case-insensitive sorting (ZITADEL's ILIKE, LOWER). */
export const fold = (text: string): string => text.toLowerCase();

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
