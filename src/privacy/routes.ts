import express, { type Request, type Response } from "express";
import { sendError } from "../api/rest.js";
import { authorize } from "../auth/authorize.js";
import { ERASE_PERSONAL_DATA } from "../auth/roles.js";
import type { Commands } from "../commands/commands.js";
import { fail } from "../errors.js";
import type { Queries } from "../queries/queries.js";

export const PRIVACY_PREFIX = "/privacy/v1";

// ZITADEL's ids are at most 200 characters.
const userIdPattern = /^[\w@.:-]{1,200}$/;

/** idledger's own endpoint for erasing a removed user's personal data (RemoveUser erases by itself). */
export function privacyRouter({ commands, queries }: { readonly commands: Commands; readonly queries: Queries }): express.Router {
  return express.Router().post(`${PRIVACY_PREFIX}/users/:userId/_erase`, async (req: Request, res: Response) => {
    res.locals.route = req.route?.path as string | undefined;
    try {
      await queries.catchUp();
      const caller = await authorize(queries, { authorization: req.get("authorization"), orgId: req.get("x-zitadel-orgid"), requestId: res.locals.requestId as string }, ERASE_PERSONAL_DATA);
      const userId = String(req.params.userId);
      if (!userIdPattern.test(userId)) fail("eraseUserNotFound");
      const { details } = await commands.erasePersonalData(caller, userId);
      res.json({ details: { sequence: String(details.sequence), changeDate: details.changeDate, resourceOwner: details.resourceOwner } });
    } catch (error) {
      sendError(res, error);
    }
  });
}
