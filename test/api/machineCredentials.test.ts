import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rebuildProjections } from "../../src/cli/rebuild.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { createQueries } from "../../src/queries/queries.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { addMachine, refusedWithNothingAppended } from "../support/steps.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
const api = "/management/v1";

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

const machine = (userName: string, orgId?: string) => addMachine(call, userName, orgId);
const refused = (response: Promise<{ status: number; body: any }>, status: number, code: number, id: string) =>
  refusedWithNothingAppended(service.store, response, [status, code, id]);

/** The read model as the log makes it, read through the queries that authentication uses. */
async function projected() {
  const readModel = createMemoryReadModel();
  await rebuildProjections(service.store, readModel);
  return createQueries({ store: service.store, readModel, projector: { waitFor: async () => true }, consistencyTimeoutMs: 0 });
}

describe("RemoveMachineSecret", () => {
  it("removes the secret: hasSecret is false on the very next read, and the read model forgets its hash", async () => {
    const userId = await machine("secret-holder");
    const secret = await call("PUT", `${api}/users/${userId}/secret`, {});
    assert.equal(secret.status, 200);
    assert.ok(await (await projected()).machineSecretHash(userId), "a set secret's hash is what client_credentials checks against");
    assert.equal((await call("GET", `${api}/users/${userId}`)).body.user.machine.hasSecret, true);

    const removed = await call("DELETE", `${api}/users/${userId}/secret`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.details.sequence, "3");
    const read = await call("GET", `${api}/users/${userId}`);
    // protojson leaves a false bool out.
    assert.equal(read.body.user.machine.hasSecret, undefined);
    assert.deepEqual(read.body.user.details, removed.body.details);
    assert.equal(await (await projected()).machineSecretHash(userId), undefined);

    // The hash never reaches an API answer, the audit log's included.
    const events = await call("POST", "/admin/v1/events/_search", { aggregateId: userId, asc: true });
    assert.equal(events.status, 200);
    const hash = (await service.store.readStream(`user-${userId}`)).find((e) => e.type === "user.machine.secret.set")!.data as { hashedSecret: string };
    for (const answer of [secret, removed, read, events]) assert.ok(!JSON.stringify(answer.body).includes(hash.hashedSecret.slice("sha256:".length)));
    assert.deepEqual(
      events.body.events.map((e: any) => [e.type.type, e.type.localized.localizedMessage]).slice(1),
      [
        ["user.machine.secret.set", "Client secret set"],
        ["user.machine.secret.removed", "Secret removed"],
      ],
    );
  });

  it("refuses a machine without a secret (9, COMMAND-coi82n), a second removal included", async () => {
    const userId = await machine("secretless");
    await refused(call("DELETE", `${api}/users/${userId}/secret`), 400, 9, "COMMAND-coi82n");
    await call("PUT", `${api}/users/${userId}/secret`, {});
    assert.equal((await call("DELETE", `${api}/users/${userId}/secret`)).status, 200);
    await refused(call("DELETE", `${api}/users/${userId}/secret`), 400, 9, "COMMAND-coi82n");
  });

  it("refuses unknown and removed users, humans and users of another org (9, COMMAND-x7s802)", async () => {
    const org = (await call("POST", `${api}/orgs`, { name: "Secret Elsewhere" })).body.id as string;
    const elsewhere = await machine("secret-elsewhere", org);
    await call("PUT", `${api}/users/${elsewhere}/secret`, {}, { orgId: org });
    const human = await call("POST", `${api}/users/human`, { userName: "secret-human", profile: { firstName: "S", lastName: "H" }, email: { email: "s@example.com" } });
    const removed = await machine("secret-removed");
    await call("PUT", `${api}/users/${removed}/secret`, {});
    await call("DELETE", `${api}/users/${removed}`);
    for (const userId of ["404404", elsewhere, human.body.userId, removed]) {
      await refused(call("DELETE", `${api}/users/${userId}/secret`), 400, 9, "COMMAND-x7s802");
    }
  });

  it("a removed user's secret hash is gone from the read model", async () => {
    const userId = await machine("secret-of-removed");
    await call("PUT", `${api}/users/${userId}/secret`, {});
    assert.equal((await call("DELETE", `${api}/users/${userId}`)).status, 200);
    assert.equal(await (await projected()).machineSecretHash(userId), undefined);
  });

  it("nobody removes the secret of a user whose roles they lack (403, API-Esc4l)", async () => {
    const managerId = await machine("secret-manager");
    await call("POST", `${api}/orgs/me/members`, { userId: managerId, roles: ["ORG_USER_MANAGER"] });
    const as = restClient({ url: service.url, adminToken: (await call("POST", `${api}/users/${managerId}/pats`, {})).body.token });
    const ownerId = await machine("secret-owner");
    await call("POST", `${api}/orgs/me/members`, { userId: ownerId, roles: ["ORG_OWNER"] });
    await call("PUT", `${api}/users/${ownerId}/secret`, {});
    const before = await service.store.headPosition();
    const response = await as("DELETE", `${api}/users/${ownerId}/secret`);
    assert.equal(response.status, 403);
    assert.equal(response.body.details[0].id, "API-Esc4l");
    assert.equal(await service.store.headPosition(), before);
  });
});
