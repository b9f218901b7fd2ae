import express from "express";
import type { FormRequest, OAuthAnswer } from "./answer.js";
import { OAuthError, invalidRequest, oauthErrorAnswer } from "./errors.js";

/** Bounds on what a client sends: the whole form, an assertion in it, and credentials. */
export const FORM_LIMIT = "16kb";
const MAX_ASSERTION_LENGTH = 8192;
const MAX_CREDENTIAL_LENGTH = 256;

/** body-parser's bounded form reader, for the express routes and the lean path alike (src/oauth/leanPath.ts). */
export const readForm = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 32, type: "application/x-www-form-urlencoded" });

/** A form the client got wrong (too large, bad charset, too many parameters), in OAuth's shape; undefined when it was not the client's doing. */
export function formFailure(error: unknown): OAuthAnswer | undefined {
  const { status } = (error ?? {}) as { status?: unknown };
  if (typeof status !== "number" || status >= 500) return undefined;
  return oauthErrorAnswer(invalidRequest(status === 413 ? "the request body is too large" : "error parsing form"));
}

/**
 * One form parameter. RFC 6749 §3.1: a parameter must not be sent twice. Only a form body counts;
 * anything else reads as an empty form, as Go's ParseForm reads it in ZITADEL.
 */
export function param(req: FormRequest, name: string, maxLength = MAX_CREDENTIAL_LENGTH): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw invalidRequest(`parameter ${name} must be given once`);
  if (value.length > maxLength) throw invalidRequest(`parameter ${name} is too long`);
  return value;
}

export const assertionParam = (req: FormRequest, name: string) => param(req, name, MAX_ASSERTION_LENGTH);

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export type ClientCredentials =
  | { readonly kind: "secret"; readonly clientId: string; readonly clientSecret?: string }
  | { readonly kind: "assertion"; readonly assertion: string };

/**
 * zitadel/oidc's parseClientCredentials: HTTP Basic (halves URL-decoded), or client_id and
 * client_secret in the form, or a private_key_jwt client_assertion; never two methods at once.
 */
export function clientCredentials(req: FormRequest): ClientCredentials {
  const assertion = assertionParam(req, "client_assertion");
  const assertionType = param(req, "client_assertion_type");
  let clientId = param(req, "client_id");
  let clientSecret = param(req, "client_secret");
  const assertionAuth = assertion !== undefined && assertionType !== undefined;
  const secretAuth = clientId !== undefined && clientSecret !== undefined;
  if (assertionAuth && secretAuth) throw invalidRequest("client authentication must not use more than one method");

  const basic = basicAuth(req.get("authorization"));
  if (basic) {
    if (assertionAuth || secretAuth) throw invalidRequest("client authentication must not use more than one method");
    ({ clientId, clientSecret } = basic);
  }
  if (clientId === undefined && assertion === undefined) throw invalidRequest("client_id or client_assertion must be provided");
  if (assertion !== undefined && clientSecret === undefined) {
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw invalidRequest(`invalid client_assertion_type ${assertionType ?? ""}`);
    return { kind: "assertion", assertion };
  }
  return { kind: "secret", clientId: clientId!, ...(clientSecret !== undefined ? { clientSecret } : {}) };
}

function basicAuth(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = header && /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    // Go's url.QueryUnescape, which ZITADEL applies to both halves: "+" is a space.
    const unescape = (half: string) => decodeURIComponent(half.replaceAll("+", " "));
    const clientId = unescape(decoded.slice(0, colon));
    const clientSecret = unescape(decoded.slice(colon + 1));
    if (clientId.length > MAX_CREDENTIAL_LENGTH || clientSecret.length > MAX_CREDENTIAL_LENGTH) throw new URIError("too long");
    return { clientId, clientSecret };
  } catch {
    throw new OAuthError("invalid_client", "invalid basic auth header");
  }
}
