import type { RecordedEvent } from "../../events/envelope.js";
import type { MetadataRemoved, MetadataSet } from "../../events/user.js";
import type { ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, madeBy, userMetadataId, type UserMetadataView } from "../views.js";

const userOf = (event: RecordedEvent) => event.stream.slice("user-".length);

/** ZITADEL's user_metadata projection: one document per key; a removed user's metadata goes with it. */
export const metadataReducers: ReducerTable = {
  "user.metadata.set": async (event) => {
    const { key, value } = event.data as MetadataSet;
    const doc: UserMetadataView = { userId: userOf(event), key, value, details: madeBy(event) };
    return [{ op: "put", collection: collections.userMetadata, id: userMetadataId(doc.userId, key), doc, indexes: { user: doc.userId } }];
  },
  "user.metadata.removed": async (event) => [
    { op: "delete", collection: collections.userMetadata, id: userMetadataId(userOf(event), (event.data as MetadataRemoved).key) },
  ],
  "user.removed": async (event, view) =>
    (await view.find(collections.userMetadata, "user", userOf(event))).map((id): Write => ({ op: "delete", collection: collections.userMetadata, id })),
};
