import express, { type NextFunction, type Request, type Response } from "express";
import type { FormEndpoint } from "./answer.js";
import { discoveryDocument, OAUTH_PATHS } from "./discovery.js";
import { oauthErrorAnswer, sendOAuthAnswer, sendOAuthError } from "./errors.js";
import { formFailure, readForm } from "./form.js";
import { introspectEndpoint } from "./introspect.js";
import { issuerOf } from "./issuer.js";
import { revokeEndpoint } from "./revoke.js";
import { tokenEndpoint, type TokenEndpointDeps } from "./tokenEndpoint.js";
import { userinfoEndpoint } from "./userinfo.js";

export type OAuthDeps = TokenEndpointDeps;

type Handler = (req: Request, res: Response) => Promise<void>;

export interface OAuthRoutes {
  readonly router: express.Router;
  /** The POST endpoints that take a form and answer from it alone, by path: the lean path serves them too (src/oauth/leanPath.ts). */
  readonly forms: ReadonlyMap<string, FormEndpoint>;
}

/**
 * The OAuth 2.0 / OIDC endpoints for machine users at ZITADEL's paths. Each row: verb, path, its
 * handler (each a short numbered pipeline of its own); form bodies are bounded and parsed first.
 * Every failure answers in OAuth's shape, never ZITADEL's API error body.
 */
export function oauthRoutes(deps: OAuthDeps): OAuthRoutes {
  const forms = new Map<string, FormEndpoint>([
    [OAUTH_PATHS.token, tokenEndpoint(deps)],
    [OAUTH_PATHS.introspect, introspectEndpoint(deps)],
    [OAUTH_PATHS.revoke, revokeEndpoint(deps)],
  ]);
  const rows: ReadonlyArray<readonly ["get" | "post", string, Handler]> = [
    ["get", OAUTH_PATHS.discovery, async (req, res) => void res.json(discoveryDocument(issuerOf(req, deps.externalUrl)))],
    ["get", OAUTH_PATHS.keys, async (_req, res) => void res.set("cache-control", "max-age=300, must-revalidate").json(await deps.keyRing.jwks())],
    ...[...forms].map(([path, endpoint]) => ["post", path, formHandler(endpoint)] as const),
    ["get", OAUTH_PATHS.userinfo, userinfoEndpoint(deps.queries)],
    ["post", OAUTH_PATHS.userinfo, userinfoEndpoint(deps.queries)],
  ];
  const router = express.Router();
  for (const [verb, path, handler] of rows) {
    const serve = async (req: Request, res: Response) => {
      res.locals.route = path;
      await handler(req, res).catch((error: unknown) => sendOAuthError(res, error));
    };
    if (verb === "post") router.post(path, readForm, serve);
    else router.get(path, serve);
  }
  // Form parsing failures (too large, bad charset, too many parameters) are the client's.
  router.use(Object.values(OAUTH_PATHS), (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const answer = formFailure(error);
    if (!answer) return next(error);
    sendOAuthAnswer(res, answer);
  });
  return { router, forms };
}

const formHandler =
  (endpoint: FormEndpoint): Handler =>
  async (req, res) =>
    sendOAuthAnswer(res, await endpoint(req, res.locals.requestId as string).catch(oauthErrorAnswer));
