import type { OidcGrantType } from "../events/oidcSession.js";
import { liveTokens } from "../projections/reducers/oidcSessions.js";
import type { LiveTokensView, UserView } from "../projections/views.js";
import type { Queries } from "../queries/queries.js";
import type { FormEndpoint, FormRequest } from "./answer.js";
import { verifyAssertion } from "./assertion.js";
import { authenticateSecret, userNotActive } from "./clientAuth.js";
import { OAuthError, invalidRequest } from "./errors.js";
import { assertionParam, clientCredentials, param } from "./form.js";
import { grantsInFlight, untilCounted } from "./grantsInFlight.js";
import { issueTokens, type IssueDeps } from "./issue.js";
import { issuerOf } from "./issuer.js";
import { MAX_SCOPE_LENGTH, grantedScopes, requestedScopes } from "./scopes.js";

export const JWT_BEARER: OidcGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const GRANT_TYPES: readonly OidcGrantType[] = ["client_credentials", JWT_BEARER];

export interface TokenEndpointDeps extends IssueDeps {
  readonly queries: Queries;
  readonly externalUrl: string | undefined;
  /** The most access tokens one user may hold live at once. */
  readonly maxLiveTokensPerUser: number;
}

/** POST /oauth/v2/token: client_credentials and the JWT-profile grant, for machine users. */
export const tokenEndpoint = (deps: TokenEndpointDeps): FormEndpoint => {
  const inFlight = grantsInFlight();
  return async (req, requestId) => {
    // 1. the grant type, as zitadel/oidc's tokensHandler checks it
    const grantType = param(req, "grant_type");
    if (!grantType) throw invalidRequest("grant_type missing");
    if (!GRANT_TYPES.includes(grantType as OidcGrantType)) throw new OAuthError("unsupported_grant_type", `${grantType} not supported`);
    const requested = requestedScopes(param(req, "scope", MAX_SCOPE_LENGTH));
    const issuer = issuerOf(req, deps.externalUrl);

    // 2. read-your-writes: a secret or key created a moment ago, on any instance, counts
    await deps.queries.catchUp();

    // 3. who is asking
    const { user, clientId, keyId } = grantType === "client_credentials" ? await bySecret(req, deps.queries) : await byAssertion(req, issuer, deps.queries);

    // 4. within the user's limit of live tokens, this instance's grants in flight included
    const release = await inFlight.reserve(
      user.id,
      () => deps.queries.liveTokensOf(user.id),
      (counted, held) => refuseOverLimit(deps, counted, held),
    );

    // 5. what for, then 6. record the grant and answer
    let recorded: bigint | undefined;
    try {
      const org = await deps.queries.orgById(user.details.resourceOwner);
      const { response, position } = await issueTokens(deps, {
        user,
        org,
        clientId,
        scope: grantedScopes(requested, user, org),
        grantType: grantType as OidcGrantType,
        ...(keyId ? { keyId } : {}),
        issuer,
        correlationId: requestId,
      });
      recorded = position;
      return { status: 200, headers: { "cache-control": "no-store", pragma: "no-cache" }, body: response };
    } finally {
      // Held until the read model counts the grant: at its position or, for a grant that failed
      // (it may have been recorded all the same: a commit whose answer was lost, a signature that
      // failed after it), at the log's head as of now (asked again while the log fails to say).
      void untilCounted(deps.queries.reached, recorded ?? (() => deps.store.headPosition()))
        .catch(() => {})
        .then(release);
    }
  };
};

/**
 * A machine's tokens each stay in the read model until they expire: without a limit, one secret
 * could fill the memory of every instance within one token lifetime. (The log keeps every grant
 * for good; what bounds its growth is the limit over a token lifetime, not against grant-revoke
 * cycles: a rate limit would.)
 * The count is the read model's (every instance's grants), up to LIVE_TOKEN_BUCKET_MS behind an
 * expiry; a revocation counts at once. ZITADEL has no such limit per user (its quotas count an
 * instance's requests); it answers an exhausted quota with 429 too.
 */
function refuseOverLimit(deps: TokenEndpointDeps, tokens: LiveTokensView | undefined, inFlight: number): void {
  const now = Date.now();
  const counted = liveTokens(tokens, now);
  const count = counted.count + inFlight;
  if (count < deps.maxLiveTokensPerUser) return;
  const { firstExpiry } = counted;
  const retryAfter = Math.max(1, Math.ceil(((firstExpiry ?? now) - now) / 1000));
  throw new OAuthError(
    "temporarily_unavailable",
    `user holds ${count} live access tokens, the most it may (OAUTH_MAX_LIVE_TOKENS_PER_USER); the next expires within ${retryAfter} s, or revoke one`,
    429,
    { "retry-after": String(retryAfter) },
  );
}

async function bySecret(req: FormRequest, queries: Queries): Promise<{ user: UserView; clientId: string; keyId?: string }> {
  const credentials = clientCredentials(req);
  // ZITADEL authenticates a client_credentials client by userName and secret only.
  if (credentials.kind !== "secret") throw new OAuthError("invalid_client", "client not found");
  const user = await authenticateSecret(queries, credentials.clientId, credentials.clientSecret);
  return { user, clientId: credentials.clientId };
}

async function byAssertion(req: FormRequest, issuer: string, queries: Queries): Promise<{ user: UserView; clientId: string; keyId?: string }> {
  const assertion = assertionParam(req, "assertion");
  if (!assertion) throw invalidRequest("assertion missing");
  const { user, keyId } = await verifyAssertion(assertion, issuer, queries);
  if (user.state !== "USER_STATE_ACTIVE") throw userNotActive();
  // ZITADEL's JWT-profile client is the subject: the user's id.
  return { user, clientId: user.id, keyId };
}
