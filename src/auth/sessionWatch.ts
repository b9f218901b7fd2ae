import type { RecordedEvent } from "../events/envelope.js";
import { INSTANCE_STREAM } from "../events/instance.js";
import { oidcSessionStream } from "../events/oidcSession.js";
import { orgStream } from "../events/org.js";
import { userStream } from "../events/user.js";
import type { Queries } from "../queries/queries.js";
import { authorizeSession, type Credentials, type Session } from "./authorize.js";

/**
 * Whether an event may change what `session` is allowed: anything on the caller's own user
 * stream (a token removed, the user locked or removed), on its OAuth access token's session (the
 * token revoked), on the org it acts in or on the instance, and any event about the caller as a
 * member (`data.userId`).
 */
export function touchesAccess(event: RecordedEvent, session: Session): boolean {
  const { userId, orgId } = session.caller;
  const streams = [userStream(userId), oidcSessionStream(session.tokenId), orgStream(orgId), INSTANCE_STREAM];
  if (streams.includes(event.stream)) return true;
  const data = event.data as { readonly userId?: unknown } | null;
  return typeof data === "object" && data !== null && data.userId === userId;
}

export interface SessionWatch {
  /**
   * Called for every event a long-lived session reads (before filtering), and by a timer with no
   * event: false once the credential expired, or a fresh authorization fails or grants less.
   */
  stillAuthorized(event?: RecordedEvent): Promise<boolean>;
}

/**
 * Keeps a long-lived session (an event stream) authorized as long as it lasts, cheaply: the
 * expiry is checked on every event; a full authorization runs again only for an event that
 * touches the caller's access (once the read model reflects it, so the check sees its effect), and
 * every `recheckMs` whatever happens (which bounds how long a catch-up through old events can run
 * on a revoked credential). `sameGrant` re-derives what the session was granted (e.g. its event
 * scope) and tells whether it is unchanged.
 */
export function watchSession(
  queries: Queries,
  credentials: Credentials,
  session: Session,
  { openedAt, recheckMs, sameGrant }: { openedAt: bigint; recheckMs: number; sameGrant: (session: Session) => Promise<boolean> },
): SessionWatch {
  let checkedAt = Date.now();
  let authorizedThrough = openedAt;
  let revoked = false;

  async function authorizeAgain(): Promise<boolean> {
    try {
      const fresh = await authorizeSession(queries, credentials, "");
      return fresh.caller.userId === session.caller.userId && (await sameGrant(fresh));
    } catch {
      return false;
    }
  }

  return {
    async stillAuthorized(event) {
      if (revoked) return false;
      const now = Date.now();
      if (now >= session.expiresAt) return (revoked = true), false;
      const touching = event !== undefined && event.position > authorizedThrough && touchesAccess(event, session);
      if (!touching && now - checkedAt < recheckMs) return true;
      // Fail closed: a read model that does not reflect the event in time ends the session too.
      if (touching && !(await queries.reached(event.position))) return (revoked = true), false;
      checkedAt = now;
      if (event && event.position > authorizedThrough) authorizedThrough = event.position;
      if (!(await authorizeAgain())) revoked = true;
      return !revoked;
    },
  };
}
