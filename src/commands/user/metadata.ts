import type { Decision } from "../decider.js";
import { fail, type ErrorName } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import { exists, type UserState } from "./state.js";

/**
 * How much metadata one user may hold, so that it cannot grow without end: ZITADEL bounds each
 * entry only (a key of 1 to 200 runes, a value of 1 to 500,000 bytes: the descriptors'
 * validate.rules, checked before a command is decided). `bytes` counts keys (UTF-8) and values.
 */
export const USER_METADATA_LIMITS = { keys: 100, bytes: 1_000_000 } as const;

/** SetUserMetadata (one entry) and BulkSetUserMetadata. */
export interface SetUserMetadata {
  readonly type: "SetUserMetadata";
  readonly resourceOwner: string;
  /** Values base64-encoded, as the event carries them. */
  readonly entries: readonly { readonly key: string; readonly value: string }[];
}

export interface RemoveUserMetadata {
  readonly type: "RemoveUserMetadata" | "BulkRemoveUserMetadata";
  readonly resourceOwner: string;
  readonly keys: readonly string[];
}

const usage = (metadata: ReadonlyMap<string, string>) => {
  let bytes = 0;
  for (const [key, value] of metadata) bytes += Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "base64");
  return { keys: metadata.size, bytes };
};

/**
 * ZITADEL's (Bulk)SetUserMetadata: one `user.metadata.set` per key whose value changes. A key given
 * twice counts once, with its last value. Where ZITADEL answers a request that changes nothing
 * with success and writes nothing, idledger refuses it (9): a change that changes nothing is refused.
 */
export function setUserMetadata(command: SetUserMetadata, state: UserState): Decision<UserEvent> {
  if (command.entries.length === 0) return fail("metadataNoData");
  if (!exists(state) || state.resourceOwner !== command.resourceOwner) return fail("metadataUserNotFound");
  if (command.entries.some(({ key, value }) => !key || !value)) return fail("metadataInvalid");
  const wanted = new Map(command.entries.map(({ key, value }) => [key, value]));
  const changed = [...wanted].filter(([key, value]) => state.metadata.get(key) !== value);
  if (changed.length === 0) return fail("metadataNotChanged");
  const after = usage(new Map([...state.metadata, ...changed]));
  if (after.keys > USER_METADATA_LIMITS.keys || after.bytes > USER_METADATA_LIMITS.bytes) {
    return fail("metadataLimitExceeded", `A user holds at most ${USER_METADATA_LIMITS.keys} metadata entries of ${USER_METADATA_LIMITS.bytes} bytes in all (keys and values)`);
  }
  return { events: changed.map(([key, value]) => ({ type: "user.metadata.set", data: { key, value } })) };
}

/** ZITADEL's refusals differ between removing one key and removing several. */
const removalRefusals: Readonly<Record<RemoveUserMetadata["type"], { readonly keyInvalid: ErrorName; readonly keyUnknown: ErrorName }>> = {
  RemoveUserMetadata: { keyInvalid: "metadataKeyInvalid", keyUnknown: "metadataNotFound" },
  BulkRemoveUserMetadata: { keyInvalid: "metadataBulkKeyInvalid", keyUnknown: "metadataKeyNotExisting" },
};

/** ZITADEL's (Bulk)RemoveUserMetadata: one `user.metadata.removed` per key; a key given twice counts once. */
export function removeUserMetadata(command: RemoveUserMetadata, state: UserState): Decision<UserEvent> {
  const refusal = removalRefusals[command.type];
  if (command.keys.length === 0) return fail("metadataNoData");
  if (!exists(state) || state.resourceOwner !== command.resourceOwner) return fail("metadataUserNotFound");
  const keys = [...new Set(command.keys)];
  for (const key of keys) {
    if (!key) return fail(refusal.keyInvalid);
    if (!state.metadata.has(key)) return fail(refusal.keyUnknown);
  }
  return { events: keys.map((key) => ({ type: "user.metadata.removed", data: { key } })) };
}
