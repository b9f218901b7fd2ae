import express, { type NextFunction, type Request, type Response } from "express";
import { discoveryDocument, OAUTH_PATHS } from "./discovery.js";
import { invalidRequest, sendOAuthError } from "./errors.js";
import { FORM_LIMIT } from "./form.js";
import { introspectEndpoint } from "./introspect.js";
import { issuerOf } from "./issuer.js";
import { revokeEndpoint } from "./revoke.js";
import { tokenEndpoint, type TokenEndpointDeps } from "./tokenEndpoint.js";
import { userinfoEndpoint } from "./userinfo.js";

export type OAuthDeps = TokenEndpointDeps;

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The OAuth 2.0 / OIDC endpoints for machine users at ZITADEL's paths. Each row: verb, path, its
 * handler (each a short numbered pipeline of its own); form bodies are bounded and parsed first.
 * Every failure answers in OAuth's shape, never ZITADEL's API error body.
 */
export function oauthRouter(deps: OAuthDeps): express.Router {
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 32, type: "application/x-www-form-urlencoded" });
  const rows: ReadonlyArray<readonly ["get" | "post", string, Handler]> = [
    ["get", OAUTH_PATHS.discovery, async (req, res) => void res.json(discoveryDocument(issuerOf(req, deps.externalUrl)))],
    ["get", OAUTH_PATHS.keys, async (_req, res) => void res.set("cache-control", "max-age=300, must-revalidate").json(await deps.keyRing.jwks())],
    ["post", OAUTH_PATHS.token, tokenEndpoint(deps)],
    ["post", OAUTH_PATHS.introspect, introspectEndpoint(deps)],
    ["post", OAUTH_PATHS.revoke, revokeEndpoint(deps)],
    ["get", OAUTH_PATHS.userinfo, userinfoEndpoint(deps.queries)],
    ["post", OAUTH_PATHS.userinfo, userinfoEndpoint(deps.queries)],
  ];
  const router = express.Router();
  for (const [verb, path, handler] of rows) {
    const serve = async (req: Request, res: Response) => {
      res.locals.route = path;
      await handler(req, res).catch((error: unknown) => sendOAuthError(res, error));
    };
    if (verb === "post") router.post(path, form, serve);
    else router.get(path, serve);
  }
  // Form parsing failures (too large, bad charset, too many parameters) are the client's.
  router.use(Object.values(OAUTH_PATHS), (error: { status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (typeof error.status !== "number" || error.status >= 500) return next(error);
    sendOAuthError(res, invalidRequest(error.status === 413 ? "the request body is too large" : "error parsing form"));
  });
  return router;
}
