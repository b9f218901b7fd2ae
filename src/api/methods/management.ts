import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { publicMethod, type ServedMethod } from "../pipeline.js";
import { humanMethods } from "./humans.js";
import { machineCredentialMethods } from "./machineCredentials.js";
import { machineKeyMethods } from "./machineKeys.js";
import { machineMethods } from "./machines.js";
import { metadataMethods } from "./metadata.js";
import { orgMethods } from "./orgs.js";
import { servedMethods, type MethodDeps } from "./table.js";
import { userMethods } from "./users.js";

/** The ManagementService methods idledger serves, by name, from the tables of each area. */
export function createManagementMethods(deps: MethodDeps): ReadonlyMap<string, ServedMethod> {
  const tables = [userMethods, machineMethods, machineCredentialMethods, machineKeyMethods, humanMethods, metadataMethods, orgMethods];
  const served = servedMethods(ManagementService, tables.flatMap((table) => table(deps)), deps.queries);
  served.set("Healthz", publicMethod(ManagementService.method.healthz, async () => ({})));
  return served;
}
