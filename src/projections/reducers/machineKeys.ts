import type { MachineKeyAdded, MachineKeyRemoved } from "../../events/user.js";
import type { ReducerTable } from "../projection.js";
import { collections, machineKeyId, type MachineKeyView } from "../views.js";

/** ZITADEL's authn_keys projection, machine keys only: a key's details are those of its added event. */
export const machineKeyReducers: ReducerTable = {
  "user.machine.key.added": async (event) => {
    const data = event.data as MachineKeyAdded;
    const userId = event.stream.slice("user-".length);
    const doc: MachineKeyView = {
      keyId: data.keyId,
      userId,
      type: data.type,
      expirationDate: data.expirationDate,
      publicKey: Buffer.from(data.publicKey, "base64").toString("utf8"),
      details: {
        sequence: event.revision + 1,
        creationDate: event.metadata.createdAt,
        changeDate: event.metadata.createdAt,
        resourceOwner: event.metadata.resourceOwner,
      },
    };
    return [{ op: "put", collection: collections.machineKeys, id: machineKeyId(userId, data.keyId), doc, indexes: { user: userId } }];
  },
  "user.machine.key.removed": async (event) => [
    { op: "delete", collection: collections.machineKeys, id: machineKeyId(event.stream.slice("user-".length), (event.data as MachineKeyRemoved).keyId) },
  ],
  // A removed user's keys go with it: no assertion signed with one is ever checked again.
  "user.removed": async (event, view) =>
    (await view.find(collections.machineKeys, "user", event.stream.slice("user-".length))).map((id) => ({ op: "delete", collection: collections.machineKeys, id })),
};
