import type { ReadModel } from "../projections/readModel.js";
import { collections, type UserView } from "../projections/views.js";

/** Who an event's `editorUser` is, as ZITADEL's changes show it. */
export interface Editor {
  readonly userId: string;
  readonly displayName: string;
  readonly preferredLoginName: string;
}

/**
 * Looks editors up in the users projection, once per id per request. An editor that is no user
 * (SYSTEM, or one since removed) is shown by its id, as ZITADEL does.
 */
export function editorLookup(readModel: ReadModel): (userId: string) => Promise<Editor> {
  const seen = new Map<string, Promise<Editor>>();
  const find = async (userId: string): Promise<Editor> => {
    const user = await readModel.get<UserView>(collections.users, userId);
    if (!user) return { userId, displayName: userId, preferredLoginName: userId };
    const profile = user.human?.profile;
    const displayName = user.machine?.name ?? (profile?.displayName || `${profile?.firstName ?? ""} ${profile?.lastName ?? ""}`.trim());
    return { userId, displayName, preferredLoginName: user.userName };
  };
  return (userId) => {
    let editor = seen.get(userId);
    if (!editor) seen.set(userId, (editor = find(userId)));
    return editor;
  };
}
