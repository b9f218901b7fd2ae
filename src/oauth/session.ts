import { applicableTo, foreignEvent, type Decider } from "../commands/decider.js";
import { fail } from "../errors.js";
import type { OidcGrantType, OidcSessionEvent } from "../events/oidcSession.js";

export type SessionState = { readonly kind: "absent" } | { readonly kind: "added" } | { readonly kind: "active" } | { readonly kind: "revoked" };

export interface AddSession {
  readonly type: "AddSession";
  readonly userId: string;
  readonly resourceOwner: string;
  readonly clientId: string;
  readonly audience: readonly string[];
  readonly scope: readonly string[];
  readonly authTime: string;
  readonly grantType: OidcGrantType;
  readonly keyId?: string;
  readonly tokenId: string;
  readonly lifetimeNanos: number;
  /** `sha256:<hex>` of an opaque token; absent for a JWT. */
  readonly tokenHash?: string;
}

export interface RevokeAccessToken {
  readonly type: "RevokeAccessToken";
}

export type SessionCommand = AddSession | RevokeAccessToken;

/** One session per grant, holding its one access token (no refresh tokens are issued). */
export const sessionDecider: Decider<SessionState, SessionCommand, OidcSessionEvent> = {
  initialState: () => ({ kind: "absent" }),
  evolve(state, event) {
    switch (event.type) {
      case "oidc_session.added":
        applicableTo(state, event, "absent");
        return { kind: "added" };
      case "oidc_session.access_token.added":
        applicableTo(state, event, "added");
        return { kind: "active" };
      case "oidc_session.access_token.revoked":
        applicableTo(state, event, "active");
        return { kind: "revoked" };
      default:
        return foreignEvent(event);
    }
  },
  decide(command, state) {
    switch (command.type) {
      case "AddSession":
        // Session ids are fresh: a taken one is a bug, never the client's doing.
        if (state.kind !== "absent") return fail("internal");
        return {
          events: [
            {
              type: "oidc_session.added",
              data: {
                userID: command.userId,
                userResourceOwner: command.resourceOwner,
                clientID: command.clientId,
                audience: [...command.audience],
                scope: [...command.scope],
                authTime: command.authTime,
                grantType: command.grantType,
                ...(command.keyId ? { keyId: command.keyId } : {}),
              },
            },
            {
              type: "oidc_session.access_token.added",
              data: {
                id: command.tokenId,
                scope: [...command.scope],
                lifetime: command.lifetimeNanos,
                ...(command.tokenHash ? { tokenHash: command.tokenHash } : {}),
              },
            },
          ],
        };
      case "RevokeAccessToken":
        if (state.kind !== "active") return fail("accessTokenNotActive");
        return { events: [{ type: "oidc_session.access_token.revoked", data: {} }] };
      default: {
        const unhandled: never = command;
        return unhandled;
      }
    }
  },
};
