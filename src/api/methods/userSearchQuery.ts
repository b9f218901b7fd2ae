import { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import { Type, UserFieldName, UserState, type SearchQuery } from "@zitadel/proto/zitadel/user_pb.js";
import { fail } from "../../errors.js";
import type { SortColumn, TextMethod, UserFilter } from "../../projections/search/userSearch.js";
import type { UserStateName } from "../../projections/views.js";

/** ZITADEL's UserQueryToQuery refuses a query nested deeper than this (USER-zsQ97). */
const MAX_NESTING = 20;
/** Queries and listed values a request may hold in all: each one is work for every user it reads. */
const MAX_TERMS = 1000;

export const textMethods: Readonly<Record<TextQueryMethod, TextMethod>> = {
  [TextQueryMethod.EQUALS]: "equals",
  [TextQueryMethod.EQUALS_IGNORE_CASE]: "equalsIgnoreCase",
  [TextQueryMethod.STARTS_WITH]: "startsWith",
  [TextQueryMethod.STARTS_WITH_IGNORE_CASE]: "startsWithIgnoreCase",
  [TextQueryMethod.CONTAINS]: "contains",
  [TextQueryMethod.CONTAINS_IGNORE_CASE]: "containsIgnoreCase",
  [TextQueryMethod.ENDS_WITH]: "endsWith",
  [TextQueryMethod.ENDS_WITH_IGNORE_CASE]: "endsWithIgnoreCase",
};

// The states a user can be in; UNSPECIFIED, DELETED and SUSPEND match nobody, as no row holds them.
const states: Partial<Record<UserState, UserStateName>> = {
  [UserState.ACTIVE]: "USER_STATE_ACTIVE",
  [UserState.INACTIVE]: "USER_STATE_INACTIVE",
  [UserState.LOCKED]: "USER_STATE_LOCKED",
  [UserState.INITIAL]: "USER_STATE_INITIAL",
};

const types: Partial<Record<Type, "human" | "machine">> = { [Type.HUMAN]: "human", [Type.MACHINE]: "machine" };

/** ZITADEL's UserFieldNameToSortingColumn; UNSPECIFIED (and anything else) sorts by id. */
const sortColumns: Readonly<Record<UserFieldName, SortColumn>> = {
  [UserFieldName.UNSPECIFIED]: "id",
  [UserFieldName.USER_NAME]: "userName",
  [UserFieldName.FIRST_NAME]: "firstName",
  [UserFieldName.LAST_NAME]: "lastName",
  [UserFieldName.NICK_NAME]: "nickName",
  [UserFieldName.DISPLAY_NAME]: "displayName",
  [UserFieldName.EMAIL]: "email",
  [UserFieldName.STATE]: "state",
  [UserFieldName.TYPE]: "type",
  [UserFieldName.CREATION_DATE]: "creationDate",
};

export const sortColumnOf = (field: UserFieldName): SortColumn => sortColumns[field] ?? "id";

/** ListUsers' `queries` as the index's filters (ZITADEL's UserQueriesToQuery, from level 0). */
export function userFilters(queries: readonly SearchQuery[]): UserFilter[] {
  const budget = { terms: 0 };
  return queries.map((query) => userFilter(query, 0, budget));
}

function userFilter(query: SearchQuery | undefined, level: number, budget: { terms: number }): UserFilter {
  if (level > MAX_NESTING) return fail("userQueryTooDeep");
  if (++budget.terms > MAX_TERMS) return fail("userQueryTooLarge", `At most ${MAX_TERMS} queries and listed values in all`);
  const { query: q } = query ?? {};
  switch (q?.case) {
    case "userNameQuery":
      return text("userName", q.value.method, q.value.userName);
    case "firstNameQuery":
      return text("firstName", q.value.method, q.value.firstName);
    case "lastNameQuery":
      return text("lastName", q.value.method, q.value.lastName);
    case "nickNameQuery":
      return text("nickName", q.value.method, q.value.nickName);
    case "displayNameQuery":
      return text("displayName", q.value.method, q.value.displayName);
    case "emailQuery":
      return text("email", q.value.method, q.value.emailAddress);
    case "loginNameQuery":
      return text("loginName", q.value.method, q.value.loginName);
    case "stateQuery":
      return { kind: "state", state: states[q.value.state] ?? null };
    case "typeQuery":
      return { kind: "type", type: types[q.value.type] ?? null };
    case "inUserIdsQuery":
      budget.terms += q.value.userIds.length;
      if (budget.terms > MAX_TERMS) return fail("userQueryTooLarge", `At most ${MAX_TERMS} queries and listed values in all`);
      return { kind: "inIds", ids: q.value.userIds };
    case "inUserEmailsQuery":
      budget.terms += q.value.userEmails.length;
      if (budget.terms > MAX_TERMS) return fail("userQueryTooLarge", `At most ${MAX_TERMS} queries and listed values in all`);
      return { kind: "inEmails", emails: q.value.userEmails };
    case "orQuery":
    case "andQuery": {
      // ZITADEL's NewOrQuery/NewAndQuery refuse an empty list.
      if (q.value.queries.length === 0) return fail("userQueryInvalid");
      const filters = q.value.queries.map((child) => userFilter(child, level + 1, budget));
      return { kind: q.case === "orQuery" ? "or" : "and", filters };
    }
    case "notQuery":
      return { kind: "not", filter: userFilter(q.value.query, level + 1, budget) };
    default:
      return fail("userQueryInvalid");
  }
}

const text = (field: Extract<UserFilter, { kind: "text" }>["field"], method: TextQueryMethod, value: string): UserFilter => ({
  kind: "text",
  field,
  method: textMethods[method],
  value,
});
