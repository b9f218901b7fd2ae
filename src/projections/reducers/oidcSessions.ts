import type { RecordedEvent } from "../../events/envelope.js";
import type { AccessTokenAdded, OidcSessionAdded } from "../../events/oidcSession.js";
import type { ReducerTable } from "../projection.js";
import { collections, type OidcSessionView } from "../views.js";

const sessionId = (event: RecordedEvent) => event.stream.slice("oidc_session-".length);

/** What resolving an access token reads: the live sessions and their tokens' hashes and expiry. */
export const oidcSessionReducers: ReducerTable = {
  "oidc_session.added": async (event) => {
    const data = event.data as OidcSessionAdded;
    const doc: OidcSessionView = {
      sessionId: sessionId(event),
      userId: data.userID,
      resourceOwner: data.userResourceOwner,
      clientId: data.clientID,
      audience: data.audience,
    };
    return [{ op: "put", collection: collections.oidcSessions, id: doc.sessionId, doc }];
  },
  "oidc_session.access_token.added": async (event, view) => {
    const session = await view.get<OidcSessionView>(collections.oidcSessions, sessionId(event));
    if (!session) return [];
    const data = event.data as AccessTokenAdded;
    const expiresAt = Date.parse(event.metadata.createdAt) + Math.floor(data.lifetime / 1e6);
    const doc: OidcSessionView = {
      ...session,
      accessToken: {
        scope: data.scope,
        issuedAt: event.metadata.createdAt,
        expiresAt: new Date(expiresAt).toISOString(),
        ...(data.tokenHash ? { tokenHash: data.tokenHash } : {}),
      },
    };
    // Gone from the read model with its token's expiry (nothing reads an expired one): what the
    // read model holds of sessions is bounded by the tokens still live, not by every one issued.
    return [{ op: "put", collection: collections.oidcSessions, id: doc.sessionId, doc, expiresAt }];
  },
  "oidc_session.access_token.revoked": async (event) => [{ op: "delete", collection: collections.oidcSessions, id: sessionId(event) }],
};
