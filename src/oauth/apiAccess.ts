import type { PersonalAccessTokenView } from "../projections/views.js";
import type { Queries } from "../queries/queries.js";
import { ZITADEL_API_SCOPE } from "./scopes.js";

/**
 * An access token from /oauth/v2/token, in the shape `authorize` reads a PAT in. As in ZITADEL, it
 * calls the API only when it was granted the API's audience scope (`urn:zitadel:iam:org:project:id:zitadel:aud`);
 * revocation and the user's state are checked on every call (src/oauth/accessTokens.ts).
 */
export async function apiAccessToken(queries: Queries, token: string): Promise<Pick<PersonalAccessTokenView, "tokenId" | "userId" | "resourceOwner" | "expiration"> | undefined> {
  const holder = await queries.accessToken(token);
  if (!holder?.scope.includes(ZITADEL_API_SCOPE)) return undefined;
  return { tokenId: holder.tokenId, userId: holder.userId, resourceOwner: holder.resourceOwner, expiration: holder.expiresAt };
}
