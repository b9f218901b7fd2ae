import { createPublicKey } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import type { UserView } from "../projections/views.js";
import type { Queries } from "../queries/queries.js";
import { OAuthError } from "./errors.js";

/** zitadel/oidc's JWT-profile verifier as ZITADEL configures it: iat at most 1 h old, 1 s of skew. */
const MAX_AGE_IAT_MS = 3600_000;
const OFFSET_MS = 1000;
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

/**
 * Verifies a JWT-profile assertion (RFC 7523) signed with a machine key: iss = sub = the user's id,
 * `aud` contains the issuer, unexpired, issued at most an hour ago, `kid` naming an unexpired key of
 * that user. Checks run in zitadel/oidc's order, with its messages. ZITADEL answers most of these
 * failures with a 500 (`Errors.Internal`); idledger answers `invalid_grant` (or `fail`'s error).
 */
export async function verifyAssertion(
  assertion: string,
  issuer: string,
  queries: Queries,
  fail: (description: string) => OAuthError = (description) => new OAuthError("invalid_grant", description),
): Promise<{ user: UserView; keyId: string }> {
  let claims: JWTPayload;
  let kid: unknown;
  try {
    claims = decodeJwt(assertion);
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    throw fail("parsing of request failed");
  }
  // jose decodes without checking the claims' types. zitadel/oidc's JSON decoding (pkg/oidc/types.go,
  // its claims' Go types) refuses a claim of the wrong type as a JWT that does not parse, takes null
  // for absent, and an `aud` that is neither a string nor a list for no audience.
  const audience = audienceOf(claims.aud);
  if (!audience || !wellTyped(claims) || (kid !== undefined && typeof kid !== "string")) throw fail("parsing of request failed");
  const now = Date.now();
  if (!audience.includes(issuer)) throw fail(`audience is not valid: Audience must contain client_id "${issuer}"`);
  if (typeof claims.exp !== "number" || !(now + OFFSET_MS < claims.exp * 1000)) throw fail("token has expired");
  if (!claims.sub || claims.iss !== claims.sub) throw fail("delegation not yet implemented, issuer and sub must be identical");
  if (typeof claims.iat !== "number") throw fail("issuedAt of token is missing");
  if (claims.iat * 1000 > now + OFFSET_MS) throw fail("issuedAt of token is in the future");
  if (claims.iat * 1000 < now - MAX_AGE_IAT_MS) throw fail("issuedAt of token is to old");

  const user = await queries.user(claims.sub);
  if (!user) throw new OAuthError("invalid_request", "Errors.User.NotFound", 404);
  const key = typeof kid === "string" && kid ? await queries.machineKeyOf(user.id, kid) : undefined;
  // The key must be the subject's own: a key is found by (user, kid), and checked again here.
  if (!key || key.userId !== user.id || Date.parse(key.expirationDate) <= now) throw fail("invalid signature (error fetching keys: Errors.AuthNKey.NotFound)");
  try {
    await jwtVerify(assertion, createPublicKey(key.publicKey), { algorithms: ALGORITHMS, clockTolerance: OFFSET_MS / 1000 });
  } catch {
    throw fail("invalid signature");
  }
  return { user, keyId: key.keyId };
}

/**
 * `aud` as zitadel/oidc's Audience decodes it: one string, or a list (of strings: a list holding
 * anything else does not decode, `undefined`); anything else is no audience.
 */
function audienceOf(aud: unknown): readonly string[] | undefined {
  if (typeof aud === "string") return [aud];
  if (!Array.isArray(aud)) return [];
  return aud.every((value) => typeof value === "string") ? aud : undefined;
}

const absent = (claim: unknown) => claim === undefined || claim === null;

/** iss and sub strings, exp, iat and nbf numbers, or absent (null counts as absent). */
const wellTyped = ({ iss, sub, exp, iat, nbf }: JWTPayload) =>
  [iss, sub].every((claim) => absent(claim) || typeof claim === "string") && [exp, iat, nbf].every((claim) => absent(claim) || typeof claim === "number");
