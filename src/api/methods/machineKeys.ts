import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { KeyType } from "@zitadel/proto/zitadel/auth_n_key_pb.js";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { StatusError } from "../../errors.js";
import type { MachineKeyView } from "../../projections/views.js";
import { detailsPb } from "./pb.js";
import { listDetailsPb, page } from "./listQuery.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** zitadel.authn.v1.Key. */
const keyPb = (key: MachineKeyView) => ({
  id: key.keyId,
  details: detailsPb(key.details),
  type: KeyType.JSON,
  expirationDate: timestampFromDate(new Date(key.expirationDate)),
});

/** Machine keys: what a machine user signs JWT-profile assertions with. */
export const machineKeyMethods = ({ commands, queries }: MethodDeps): MethodEntry[] => [
  handle(method.addMachineKey, async (request, caller) => {
    // The proto's `not_in: [0]` rule, which the shared validator does not read for enums.
    if (request.type !== KeyType.JSON) throw new StatusError("InvalidArgument", "invalid AddMachineKeyRequest.Type: value must not be in list [0]");
    const { keyId, keyFile, details } = await commands.addMachineKey(caller, request.userId, {
      ...(request.expirationDate ? { expirationDate: timestampDate(request.expirationDate) } : {}),
      publicKey: request.publicKey,
    });
    // A supplied public key answers without key details: the caller holds the private key already.
    return { keyId, keyDetails: keyFile ? Buffer.from(keyFile) : new Uint8Array(), details: detailsPb(details) };
  }),
  handle(method.removeMachineKey, async (request, caller) => ({
    details: detailsPb((await commands.removeMachineKey(caller, request.userId, request.keyId)).details),
  })),
  handle(method.getMachineKeyByIDs, async (request, caller) => ({
    key: keyPb(await queries.machineKey(request.userId, request.keyId, caller.orgId)),
  })),
  handle(method.listMachineKeys, async (request, caller) => {
    const { keys, processedPosition } = await queries.machineKeys(request.userId, caller.orgId);
    return { details: listDetailsPb(keys.length, processedPosition), result: page(keys, request.query).map(keyPb) };
  }),
];
