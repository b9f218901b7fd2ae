import type { FormRequest } from "./answer.js";
import type { UserView } from "../projections/views.js";
import type { Queries } from "../queries/queries.js";
import { verifyAssertion } from "./assertion.js";
import { OAuthError, invalidRequest } from "./errors.js";
import { clientCredentials, param, type ClientCredentials } from "./form.js";
import { matchesHash } from "./hashes.js";
import { issuerOf } from "./issuer.js";

/** The refusal ZITADEL gives every user who is not (or no longer) ACTIVE. */
export const userNotActive = () => invalidRequest("Errors.User.NotActive");

/**
 * ZITADEL's clientCredentialsAuth: the client_id is a machine user's userName, the secret is
 * checked against the SHA-256 hash GenerateMachineSecret stored, in constant time.
 */
export async function authenticateSecret(queries: Queries, clientId: string, secret: string | undefined): Promise<UserView> {
  const user = await queries.userByUserName(clientId);
  if (!user) throw new OAuthError("invalid_client", "client not found");
  // A human has no secret, as ZITADEL says of it.
  const hash = user.machine && (await queries.machineSecretHash(user.id));
  if (!hash) throw invalidRequest("Errors.User.Machine.Secret.NotExisting");
  if (!matchesHash(secret ?? "", hash)) throw invalidRequest("Errors.User.Machine.Secret.Invalid");
  if (user.state !== "USER_STATE_ACTIVE") throw userNotActive();
  return user;
}

/**
 * The caller of introspection and revocation, standing in for ZITADEL's API application: a
 * machine user with its secret or a private_key_jwt assertion. Any failure is
 * `unauthorized_client`, without saying which, as ZITADEL answers it.
 */
export async function authenticateCaller(queries: Queries, issuer: string, credentials: ClientCredentials): Promise<UserView> {
  const refused = () => new OAuthError("unauthorized_client");
  // What the client got wrong is not said; a backend failure stays one.
  const asRefusal = (error: unknown) => Promise.reject(error instanceof OAuthError ? refused() : error);
  const user =
    credentials.kind === "assertion"
      ? (await verifyAssertion(credentials.assertion, issuer, queries, refused).catch(asRefusal)).user
      : await authenticateSecret(queries, credentials.clientId, credentials.clientSecret).catch(asRefusal);
  if (user.state !== "USER_STATE_ACTIVE") throw refused();
  return user;
}

/**
 * What introspection and revocation start with (zitadel/oidc's introspectionHandler): an
 * authenticated caller (after the read model caught up) and the `token` it asks about.
 */
export async function callerAndToken(req: FormRequest, queries: Queries, externalUrl: string | undefined) {
  const credentials = clientCredentials(req);
  if (credentials.kind === "secret" && credentials.clientSecret === undefined) throw new OAuthError("invalid_client", "client must be authenticated");
  const token = param(req, "token", 8192);
  if (!token) throw invalidRequest("token missing");
  const issuer = issuerOf(req, externalUrl);
  await queries.catchUp();
  return { caller: await authenticateCaller(queries, issuer, credentials), token, issuer };
}
