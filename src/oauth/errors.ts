import type { Response } from "express";
import { toWireError } from "../api/errorBody.js";

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
  ) {
    super(description ?? error);
  }
}

export const invalidRequest = (description: string, status = 400) => new OAuthError("invalid_request", description, status);

/**
 * Anything that is not an OAuthError escaped a handler: a backend failure. It is logged with the
 * request (res.locals.error), and answered without its text, as ZITADEL's `Errors.Internal`.
 */
export function sendOAuthError(res: Response, error: unknown): void {
  if (!(error instanceof OAuthError)) {
    res.locals.error = error;
    const unavailable = toWireError(error).category === "Unavailable";
    res.status(unavailable ? 503 : 500).json({ error: "server_error", error_description: "Errors.Internal" });
    return;
  }
  if (error.status === 401) res.setHeader("www-authenticate", `Bearer error="${error.error === "access_denied" ? "invalid_token" : error.error}"`);
  res.status(error.status).json(error.description === undefined ? { error: error.error } : { error: error.error, error_description: error.description });
}
