import type { ReadModel } from "../readModel.js";
import type { UserStateName } from "../views.js";

/**
 * What the search index keeps of a user: the fields ListUsers filters and sorts by, and what the
 * search reducers need to follow the user's state. Human fields are absent on a machine: a text
 * query on them is "unknown" for a machine (SQL's NULL in ZITADEL's LEFT JOIN), so that neither
 * `firstName = x` nor `NOT firstName = x` lists machines, as in ZITADEL.
 */
export type SearchableUser = {
  readonly id: string;
  readonly org: string;
  readonly type: "human" | "machine";
  readonly state: UserStateName;
  readonly initialized: boolean;
  readonly userName: string;
  /** RFC 3339, the createdAt of the user's first event. */
  readonly creationDate: string;
  readonly human?: {
    readonly firstName: string;
    readonly lastName: string;
    readonly nickName: string;
    readonly displayName: string;
    readonly email: string;
  };
};

/** The text fields a query can compare; `loginName` compares against each of the user's login names. */
export type TextField = "userName" | "firstName" | "lastName" | "nickName" | "displayName" | "email" | "loginName";

/** ZITADEL's TextQueryMethod, by name. `%`, `_` and `*` in the value are plain characters. */
export type TextMethod =
  | "equals"
  | "equalsIgnoreCase"
  | "startsWith"
  | "startsWithIgnoreCase"
  | "contains"
  | "containsIgnoreCase"
  | "endsWith"
  | "endsWithIgnoreCase";

/** A ListUsers query as a tree. A state or type no user can have (`null`) matches nobody. */
export type UserFilter =
  | { readonly kind: "text"; readonly field: TextField; readonly method: TextMethod; readonly value: string }
  | { readonly kind: "state"; readonly state: UserStateName | null }
  | { readonly kind: "type"; readonly type: "human" | "machine" | null }
  | { readonly kind: "inIds"; readonly ids: readonly string[] }
  | { readonly kind: "inEmails"; readonly emails: readonly string[] }
  | { readonly kind: "and" | "or"; readonly filters: readonly UserFilter[] }
  | { readonly kind: "not"; readonly filter: UserFilter };

/** ZITADEL's UserFieldName; `id` is UNSPECIFIED. Text columns sort case-insensitively (LOWER). */
export type SortColumn = "id" | "userName" | "firstName" | "lastName" | "nickName" | "displayName" | "email" | "state" | "type" | "creationDate";

export interface UserSearch {
  /** Only users of this organization are listed or counted; undefined: the whole instance (the `Global` reads). */
  readonly org: string | undefined;
  /** All of them must hold. */
  readonly filters: readonly UserFilter[];
  readonly sort: SortColumn;
  readonly asc: boolean;
  readonly offset: bigint;
  readonly limit: number;
}

export interface UserSearchResult {
  /** The page's user ids, in order. */
  readonly ids: readonly string[];
  /** Every match before offset and limit. */
  readonly total: number;
}

/**
 * The user search index, one per process, fed from the log by its own projection
 * (src/projections/search/searchProjection.ts) so that searching never depends on what a shared
 * store holds. `store` is what that projection commits to: it keeps documents of `collection`
 * only (SearchableUser, keyed by user id) and ignores writes to any other collection. Every
 * implementation passes test/contract/userSearch.ts.
 */
export interface UserSearchIndex {
  readonly store: ReadModel;
  /** Synchronous: one search sees one committed batch, never half of one. */
  search(search: UserSearch): UserSearchResult;
}

/** The index's collection name; its version moves when SearchableUser changes shape. */
export const searchCollection = "usersearch1";
