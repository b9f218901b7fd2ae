import { fold, ignoresCase, textMatches } from "./textMatch.js";
import { stateNumbers, UserColumns } from "./userColumns.js";
import type { UserFilter } from "./userSearch.js";

/** SQL's three-valued logic: a comparison with an absent (NULL) field is neither true nor false. */
export type Truth = 0 | 1 | 2;
const FALSE = 0;
const TRUE = 1;
const UNKNOWN = 2;

const typeIsHuman = { human: true, machine: false } as const;

/** A filter, compiled once per search: whether the user in a slot matches, as ZITADEL's SQL WHERE clause would say. */
export type Matcher = (slot: number) => Truth;

export function compile(columns: UserColumns, filter: UserFilter): Matcher {
  switch (filter.kind) {
    case "text": {
      const folded = ignoresCase(filter.method);
      const wanted = folded ? fold(filter.value) : filter.value;
      const method = filter.method;
      const values =
        filter.field === "userName" || filter.field === "loginName"
          ? folded
            ? columns.userNamesFolded
            : columns.userNames
          : (folded ? columns.folded : columns.raw)[filter.field];
      return (slot) => {
        const value = values[slot];
        if (value === undefined) return UNKNOWN;
        return textMatches(method, value, wanted) ? TRUE : FALSE;
      };
    }
    case "state": {
      const wanted = filter.state === null ? -1 : stateNumbers[filter.state];
      return (slot) => (columns.states[slot] === wanted ? TRUE : FALSE);
    }
    case "type": {
      if (filter.type === null) return () => FALSE;
      const human = typeIsHuman[filter.type];
      return (slot) => (columns.humans[slot] === human ? TRUE : FALSE);
    }
    case "inIds": {
      const ids = new Set(filter.ids);
      return (slot) => (ids.has(columns.ids[slot]!) ? TRUE : FALSE);
    }
    case "inEmails": {
      const emails = new Set(filter.emails);
      return (slot) => {
        const email = columns.raw.email[slot];
        if (email === undefined) return UNKNOWN;
        return emails.has(email) ? TRUE : FALSE;
      };
    }
    case "and": {
      const children = filter.filters.map((child) => compile(columns, child));
      return (slot) => {
        let result: Truth = TRUE;
        for (const child of children) {
          const truth = child(slot);
          if (truth === FALSE) return FALSE;
          if (truth === UNKNOWN) result = UNKNOWN;
        }
        return result;
      };
    }
    case "or": {
      const children = filter.filters.map((child) => compile(columns, child));
      return (slot) => {
        let result: Truth = FALSE;
        for (const child of children) {
          const truth = child(slot);
          if (truth === TRUE) return TRUE;
          if (truth === UNKNOWN) result = UNKNOWN;
        }
        return result;
      };
    }
    case "not": {
      const child = compile(columns, filter.filter);
      return (slot) => {
        const truth = child(slot);
        return truth === UNKNOWN ? UNKNOWN : truth === TRUE ? FALSE : TRUE;
      };
    }
    default: {
      const unknown: never = filter;
      return unknown;
    }
  }
}

export const isTrue = (truth: Truth): boolean => truth === TRUE;

/**
 * Slots that can match `filter` (a superset, possibly with duplicates or stale slots), found
 * through the id, userName and email lookups; undefined when only reading every user will do.
 */
export function candidates(columns: UserColumns, filter: UserFilter): ArrayLike<number> | undefined {
  switch (filter.kind) {
    case "text": {
      if (filter.field !== "userName" && filter.field !== "loginName" && filter.field !== "email") return undefined;
      const folded = fold(filter.value);
      const exact = filter.field === "email" ? columns.byEmail : columns.byUserName;
      if (filter.method === "equals" || filter.method === "equalsIgnoreCase") return UserColumns.lookup(exact, folded);
      return (filter.field === "email" ? columns.emailTrigrams : columns.userNameTrigrams).candidates(folded);
    }
    case "inIds":
      return filter.ids.flatMap((id) => {
        const slot = columns.slotById.get(id);
        return slot === undefined ? [] : [slot];
      });
    case "inEmails":
      return filter.emails.flatMap((email) => UserColumns.lookup(columns.byEmail, fold(email)));
    case "and":
      return smallest(filter.filters.map((child) => candidates(columns, child)));
    case "or": {
      const all = filter.filters.map((child) => candidates(columns, child));
      if (all.length === 0 || all.some((found) => found === undefined)) return undefined;
      return all.flatMap((found) => Array.from(found!));
    }
    default:
      return undefined;
  }
}

/** The shortest of the candidate lists (an AND needs only one of them); undefined when none is known. */
export function smallest(lists: readonly (ArrayLike<number> | undefined)[]): ArrayLike<number> | undefined {
  let best: ArrayLike<number> | undefined;
  for (const list of lists) if (list !== undefined && (best === undefined || list.length < best.length)) best = list;
  return best;
}
