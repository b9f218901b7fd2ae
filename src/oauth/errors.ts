import type { Response } from "express";
import { toWireError } from "../api/errorBody.js";
import { writeAnswer, type OAuthAnswer } from "./answer.js";

/**
 * An OAuth error answer (RFC 6749 §5.2) as ZITADEL's OIDC endpoints give it: `error`, an optional
 * `error_description` (ZITADEL's own i18n key where it has one, e.g. `Errors.User.Machine.Secret.Invalid`),
 * and the HTTP status ZITADEL answers with (400 unless said otherwise).
 */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  constructor(
    readonly error: string,
    readonly description?: string,
    readonly status = 400,
    /** Headers of the answer besides the body's (Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description ?? error);
  }
}

export const invalidRequest = (description: string, status = 400) => new OAuthError("invalid_request", description, status);

/**
 * The answer to what a handler threw. Anything that is not an OAuthError is a backend failure: it
 * goes to the request log (`failure`), and is answered without its text, as ZITADEL's `Errors.Internal`.
 */
export function oauthErrorAnswer(error: unknown): OAuthAnswer {
  if (!(error instanceof OAuthError)) {
    const unavailable = toWireError(error).category === "Unavailable";
    return { status: unavailable ? 503 : 500, body: { error: "server_error", error_description: "Errors.Internal" }, failure: error };
  }
  const headers: Record<string, string> = error.status === 401 ? { "www-authenticate": `Bearer error="${error.error === "access_denied" ? "invalid_token" : error.error}"` } : { ...error.headers };
  return { status: error.status, headers, body: error.description === undefined ? { error: error.error } : { error: error.error, error_description: error.description } };
}

/** Sends an answer on express's response; a failure is logged with the request (res.locals.error). */
export function sendOAuthAnswer(res: Response, answer: OAuthAnswer): void {
  if (answer.failure !== undefined) res.locals.error = answer.failure;
  writeAnswer(res, answer);
}

export const sendOAuthError = (res: Response, error: unknown) => sendOAuthAnswer(res, oauthErrorAnswer(error));
