import type { PersonalAccessTokenView } from "../projections/views.js";

/** What authentication found for one token and `x-zitadel-orgid`: a token of an active user, the org exists, the roles there. */
export interface Principal {
  readonly token: Pick<PersonalAccessTokenView, "tokenId" | "userId" | "resourceOwner" | "expiration">;
  readonly roles: readonly string[];
}

/**
 * Principals by token hash and org header, each tagged with the read-model version it was read at.
 * An entry answers only while the read model is still at that version: any applied event moves the
 * version, so a lock, a removal, a deactivation, a token's removal or a role change is read afresh
 * on the very next request. Bounded: the oldest entry goes when it is full.
 */
export function principalCache(maxEntries = 10_000) {
  const entries = new Map<string, { readonly version: string; readonly principal: Principal }>();
  return {
    get(key: string, version: string): Principal | undefined {
      const entry = entries.get(key);
      return entry?.version === version ? entry.principal : undefined;
    },
    set(key: string, version: string, principal: Principal): void {
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { version, principal });
    },
  };
}

export type PrincipalCache = ReturnType<typeof principalCache>;
