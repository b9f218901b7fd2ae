import { DomainError, type ErrorName } from "../errors.js";
import type { UniqueConstraint } from "../events/eventStore.js";

/**
 * The values unique per instance, each compared case-insensitively as ZITADEL's eventstore
 * lower-cases unique fields, and the error a taken value answers with.
 */
const namespaces = {
  usernames: "userNameTaken",
  orgnames: "orgNameTaken",
  orgdomains: "orgNameTaken",
} as const satisfies Record<string, ErrorName>;

export type UniqueNamespace = keyof typeof namespaces;

export const uniqueConstraint = (name: UniqueNamespace, action: UniqueConstraint["action"], value: string): UniqueConstraint => ({
  action,
  name,
  value: value.toLowerCase(),
});

export const takenError = (constraint: UniqueConstraint): DomainError =>
  new DomainError(namespaces[constraint.name as UniqueNamespace] ?? "internal");
