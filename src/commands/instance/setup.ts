import { randomUUID } from "node:crypto";
import { INSTANCE_STREAM, type InstanceAdded } from "../../events/instance.js";
import { orgStream } from "../../events/org.js";
import { userStream } from "../../events/user.js";
import type { EventStore } from "../../events/eventStore.js";
import { systemAccess } from "../../auth/userAccess.js";
import { createCommands, SYSTEM_USER_ID, type Caller, type CommandsConfig } from "../commands.js";
import { handleCommand } from "../handleCommand.js";
import { newPersonalAccessToken } from "../user/secrets.js";
import { instanceDecider, type InstanceCommand } from "./decider.js";

export interface SetupOptions extends Omit<CommandsConfig, "instanceId" | "access"> {
  /** Stores the admin's token (e.g. `$DATA_DIR/admin.pat`, mode 0600) before its hash is appended. */
  readonly savePersonalAccessToken: (token: string) => Promise<void>;
}

export const ADMIN_USER_NAME = "zitadel-admin-sa";
const DEFAULT_ORG_NAME = "ZITADEL";
const PAT_EXPIRATION = "9999-12-31T23:59:59.000Z";

/**
 * ZITADEL's first-instance setup: the instance, its default org, an admin machine user who is
 * IAM_OWNER, and the admin's personal access token. Each step is skipped when its events exist,
 * so a start that crashed half-way resumes with the same ids.
 */
export async function setupInstance(options: SetupOptions): Promise<InstanceAdded> {
  const { store } = options;
  const system = (correlationId: string): Caller => ({ userId: SYSTEM_USER_ID, orgId: "", correlationId });
  const onInstance = (command: InstanceCommand, instanceId: string) =>
    handleCommand(store, instanceDecider, INSTANCE_STREAM, command, () => "", {
      instanceId,
      editorUser: SYSTEM_USER_ID,
      correlationId: randomUUID(),
      now: options.now,
    });

  let setup = await readSetup(store);
  if (!setup) {
    const instanceId = options.newId();
    await onInstance({ type: "AddInstance", setup: { instanceId, name: "idledger", defaultOrgId: options.newId(), adminUserId: options.newId() } }, instanceId);
    setup = (await readSetup(store))!;
  }
  const { instanceId, defaultOrgId: orgId, adminUserId } = setup;
  const commands = createCommands({ ...options, instanceId, access: systemAccess });
  const caller = { ...system(randomUUID()), orgId };

  if (!(await exists(store, orgStream(orgId)))) {
    await commands.addOrg(caller, { name: DEFAULT_ORG_NAME, orgId, ownerId: adminUserId });
  }
  const adminEvents = await store.readStream(userStream(adminUserId));
  if (adminEvents.length === 0) {
    await commands.addMachineUser(caller, {
      userId: adminUserId,
      userName: ADMIN_USER_NAME,
      name: "Admin",
      description: "created by the first-instance setup",
      accessTokenType: 0,
    });
  }
  const instance = await store.readStream(INSTANCE_STREAM);
  if (!instance.some((e) => e.type === "instance.member.added")) {
    await onInstance({ type: "AddInstanceMember", userId: adminUserId, roles: ["IAM_OWNER"] }, instanceId);
  }
  if (!adminEvents.some((e) => e.type === "user.pat.added")) {
    const token = newPersonalAccessToken();
    await options.savePersonalAccessToken(token);
    await commands.addPersonalAccessToken(caller, adminUserId, { token, expiration: PAT_EXPIRATION });
  }
  return setup;
}

async function readSetup(store: EventStore): Promise<InstanceAdded | undefined> {
  const [added] = await store.readStream(INSTANCE_STREAM);
  return added?.data as InstanceAdded | undefined;
}

const exists = async (store: EventStore, stream: string) => (await store.readStream(stream)).length > 0;
