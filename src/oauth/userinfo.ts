import type { Request, Response } from "express";
import type { Queries } from "../queries/queries.js";
import { userInfo } from "./claims.js";
import { OAuthError, invalidRequest } from "./errors.js";
import { param } from "./form.js";

/** GET or POST /oidc/v1/userinfo with the access token (bearer header, or `access_token` in a POST form). */
export const userinfoEndpoint = (queries: Queries) => async (req: Request, res: Response) => {
  const header = /^Bearer (\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
  const token = header ?? (req.method === "POST" ? param(req, "access_token", 8192) : undefined);
  if (!token) throw invalidRequest("access token missing", 401);
  await queries.catchUp();
  const holder = await queries.accessToken(token);
  const user = holder && (await queries.user(holder.userId));
  if (!holder || !user) throw new OAuthError("access_denied", "access token invalid", 401);
  res.set("cache-control", "no-store").json(userInfo(holder.scope, user, await queries.orgById(holder.resourceOwner)));
};
