import type { RecordedEvent } from "../../events/envelope.js";
import type { AccessTokenAdded, OidcSessionAdded } from "../../events/oidcSession.js";
import type { ProjectionView, ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, type LiveTokensView, type OidcSessionView } from "../views.js";

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
    // Gone from the read model at the end of the span its token expires in (an expired token is
    // refused by its expiry before that): what the read model holds of sessions is bounded by the
    // tokens still live, not by every one issued. Kept until the span ends, not only until the
    // token does, so that a revocation in between finds it and counts it out, as a rebuild will.
    return [
      { op: "put", collection: collections.oidcSessions, id: doc.sessionId, doc, expiresAt: spanEnd(expiresAt) },
      await countedToken(view, session.userId, expiresAt, +1, Date.parse(event.metadata.createdAt)),
    ];
  },
  "oidc_session.access_token.revoked": async (event, view) => {
    const session = await view.get<OidcSessionView>(collections.oidcSessions, sessionId(event));
    const removed: Write = { op: "delete", collection: collections.oidcSessions, id: sessionId(event) };
    if (!session?.accessToken) return [removed];
    return [removed, await countedToken(view, session.userId, Date.parse(session.accessToken.expiresAt), -1, Date.parse(event.metadata.createdAt))];
  },
};

/** The width of the buckets a user's live tokens are counted in: a count is at most this much behind an expiry. */
export const LIVE_TOKEN_BUCKET_MS = 10 * 60_000;

/**
 * The user's count of live tokens with one more (`+1`, a grant) or one less (`-1`, a revocation)
 * expiring at `expiresAt`. Buckets already past at the event's time are dropped (the event's time,
 * not the clock: a rebuild gives the same document), and the document leaves the read model when
 * its last bucket is past.
 */
async function countedToken(view: ProjectionView, userId: string, expiresAt: number, change: 1 | -1, at: number): Promise<Write> {
  const counted = await view.get<LiveTokensView>(collections.liveTokens, userId);
  const bucket = Math.floor(expiresAt / LIVE_TOKEN_BUCKET_MS);
  const buckets = (counted?.buckets ?? []).filter(([start]) => (start + 1) * LIVE_TOKEN_BUCKET_MS > at).map(([start, count]) => [start, count] as [number, number]);
  const existing = buckets.find(([start]) => start === bucket);
  if (existing) existing[1] += change;
  else if (change > 0) {
    buckets.push([bucket, 1]);
    buckets.sort((a, b) => a[0] - b[0]);
  }
  const live = buckets.filter(([, count]) => count > 0);
  const doc: LiveTokensView = { userId, buckets: live };
  const lastEnd = spanEnd((live.at(-1)?.[0] ?? bucket) * LIVE_TOKEN_BUCKET_MS);
  return { op: "put", collection: collections.liveTokens, id: userId, doc, expiresAt: lastEnd };
}

/** The end of the span that `at` (ms) falls in. */
const spanEnd = (at: number) => (Math.floor(at / LIVE_TOKEN_BUCKET_MS) + 1) * LIVE_TOKEN_BUCKET_MS;

/** How many of the user's tokens are live at `now` (at most LIVE_TOKEN_BUCKET_MS behind), and when the oldest of them expires. */
export function liveTokens(counted: LiveTokensView | undefined, now: number): { readonly count: number; readonly firstExpiry: number | undefined } {
  let count = 0;
  let firstExpiry: number | undefined;
  for (const [start, n] of counted?.buckets ?? []) {
    const end = (start + 1) * LIVE_TOKEN_BUCKET_MS;
    if (end <= now) continue;
    count += n;
    firstExpiry ??= end;
  }
  return { count, firstExpiry };
}
