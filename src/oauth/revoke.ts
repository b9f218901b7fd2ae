import { handleCommand } from "../commands/handleCommand.js";
import { catalogue, DomainError } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import { oidcSessionStream } from "../events/oidcSession.js";
import type { Queries } from "../queries/queries.js";
import type { FormEndpoint } from "./answer.js";
import { callerAndToken } from "./clientAuth.js";
import { OAuthError } from "./errors.js";
import { sessionDecider } from "./session.js";

export interface RevokeDeps {
  readonly queries: Queries;
  readonly store: EventStore;
  readonly instanceId: string;
  readonly externalUrl: string | undefined;
}

/**
 * POST /oauth/v2/revoke (RFC 7009): the machine user revokes a token of its own. The revocation is
 * an event, so it reaches every instance's read model; an unknown, expired or already revoked
 * token answers 200 as the RFC says, a token of another user 403 as ZITADEL's CheckClient does.
 */
export const revokeEndpoint = (deps: RevokeDeps): FormEndpoint => async (req, requestId) => {
  const { caller, token } = await callerAndToken(req, deps.queries, deps.externalUrl);

  const holder = await deps.queries.accessToken(token);
  if (holder) {
    if (holder.userId !== caller.id) throw new OAuthError("invalid_request", "Errors.OIDCSession.InvalidClient", 403);
    await handleCommand(deps.store, sessionDecider, oidcSessionStream(holder.tokenId), { type: "RevokeAccessToken" }, () => holder.resourceOwner, {
      instanceId: deps.instanceId,
      editorUser: caller.id,
      correlationId: requestId,
      now: () => new Date(),
    }).catch((error: unknown) => {
      // Revoked by a concurrent request: the outcome the client asked for.
      if (!(error instanceof DomainError && error.id === catalogue.accessTokenNotActive.id)) throw error;
    });
  }
  return { status: 200 };
};
