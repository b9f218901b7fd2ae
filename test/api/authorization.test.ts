import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { machineActor, restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let defaultOrg: string;
let adminId: string;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  const me = await call("POST", "/management/v1/users/machine", { userName: "probe", name: "P" });
  defaultOrg = me.body.details.resourceOwner;
  const admin = (await service.store.readStream("instance"))[0]!.data as { adminUserId: string };
  adminId = admin.adminUserId;
});
after(() => service.dispose());

const actor = (userName: string, orgId: string, roles: string[]) => machineActor(service, userName, orgId, roles);

const refusedAsOutranked = (response: { status: number; body: any }) => {
  assert.equal(response.status, 403);
  assert.equal(response.body.code, 7);
  assert.equal(response.body.details[0].id, "API-Esc4l");
};

describe("no escalation: nobody acts on a user who holds a role the caller does not hold", () => {
  it("an ORG_USER_MANAGER of the default org can neither mint a token for, change, nor set a secret of the instance admin", async () => {
    const manager = await actor("manager-1", defaultOrg, ["ORG_USER_MANAGER"]);
    refusedAsOutranked(await manager.as("POST", `/management/v1/users/${adminId}/pats`, {}));
    refusedAsOutranked(await manager.as("PUT", `/management/v1/users/${adminId}/secret`, {}));
    refusedAsOutranked(await manager.as("PUT", `/management/v1/users/${adminId}/machine`, { name: "Pwned" }));
    // Nothing was appended to the admin's stream by those attempts.
    const adminEvents = await service.store.readStream(`user-${adminId}`);
    assert.ok(adminEvents.every((event) => event.metadata.editorUser !== manager.userId));
  });

  it("an ORG_OWNER of the default org cannot act on the instance admin either", async () => {
    const owner = await actor("owner-1", defaultOrg, ["ORG_OWNER"]);
    refusedAsOutranked(await owner.as("POST", `/management/v1/users/${adminId}/pats`, {}));
  });

  it("an org owner of A cannot mint a token for a machine user of A who owns org B, and so cannot read B", async () => {
    const orgA = (await call("POST", "/management/v1/orgs", { name: "Org A" })).body.id as string;
    const orgB = (await call("POST", "/management/v1/orgs", { name: "Org B" })).body.id as string;
    const ownerOfA = await actor("owner-of-a", orgA, ["ORG_OWNER"]);
    const bridge = await call("POST", "/management/v1/users/machine", { userName: "bridge", name: "Bridge" }, { orgId: orgA });
    assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId: bridge.body.userId, roles: ["ORG_OWNER"] }, { orgId: orgB })).status, 200);

    refusedAsOutranked(await ownerOfA.as("POST", `/management/v1/users/${bridge.body.userId}/pats`, {}, { orgId: orgA }));
    refusedAsOutranked(await ownerOfA.as("PUT", `/management/v1/users/${bridge.body.userId}/secret`, {}, { orgId: orgA }));
    assert.equal((await ownerOfA.as("POST", "/management/v1/users/machine", { userName: "in-b", name: "B" }, { orgId: orgB })).status, 403);
  });

  it("lets an org owner of A lock, deactivate and remove a user of A who holds a role in org B, and still mint it no token", async () => {
    const orgA = (await call("POST", "/management/v1/orgs", { name: "Org A2" })).body.id as string;
    const orgB = (await call("POST", "/management/v1/orgs", { name: "Org B2" })).body.id as string;
    const ownerOfA = await actor("owner-of-a2", orgA, ["ORG_OWNER"]);
    const shielded = (await call("POST", "/management/v1/users/machine", { userName: "shielded", name: "S" }, { orgId: orgA })).body.userId as string;
    assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId: shielded, roles: ["ORG_OWNER"] }, { orgId: orgB })).status, 200);

    refusedAsOutranked(await ownerOfA.as("POST", `/management/v1/users/${shielded}/pats`, {}, { orgId: orgA }));
    for (const action of ["lock", "unlock", "deactivate", "reactivate"]) {
      assert.equal((await ownerOfA.as("POST", `/management/v1/users/${shielded}/_${action}`, {}, { orgId: orgA })).status, 200, action);
    }
    assert.equal((await ownerOfA.as("DELETE", `/management/v1/users/${shielded}`, undefined, { orgId: orgA })).status, 200);
    assert.equal((await call("GET", `/management/v1/users/${shielded}`, undefined, { orgId: orgA })).status, 404);
  });

  it("answers for a user of another org as for one that does not exist, whether or not it holds roles", async () => {
    const orgA = (await call("POST", "/management/v1/orgs", { name: "Org A3" })).body.id as string;
    const orgB = (await call("POST", "/management/v1/orgs", { name: "Org B3" })).body.id as string;
    const ownerOfA = await actor("owner-of-a3", orgA, ["ORG_OWNER"]);
    const ownerOfB = await actor("owner-of-b3", orgB, ["ORG_OWNER"]);
    const plainOfB = (await call("POST", "/management/v1/users/machine", { userName: "plain-of-b3", name: "P" }, { orgId: orgB })).body.userId as string;
    for (const [method, action] of [["POST", "pats"], ["PUT", "secret"], ["POST", "_lock"]] as const) {
      const missing = await ownerOfA.as(method, `/management/v1/users/404404404/${action}`, {}, { orgId: orgA });
      assert.ok(missing.status === 404 || missing.status === 400, action);
      for (const target of [ownerOfB.userId, plainOfB, adminId]) {
        const refused = await ownerOfA.as(method, `/management/v1/users/${target}/${action}`, {}, { orgId: orgA });
        assert.deepEqual([refused.status, refused.body.details[0].id], [missing.status, missing.body.details[0].id], `${action} ${target}`);
      }
    }
  });

  it("still lets a caller manage users whose roles it holds: plain users, lesser roles, peers and itself", async () => {
    const owner = await actor("owner-2", defaultOrg, ["ORG_OWNER"]);
    const manager = await actor("manager-2", defaultOrg, ["ORG_USER_MANAGER"]);
    const peer = await actor("manager-3", defaultOrg, ["ORG_USER_MANAGER"]);
    const plain = await call("POST", "/management/v1/users/machine", { userName: "plain-2", name: "Plain" });

    assert.equal((await manager.as("POST", `/management/v1/users/${plain.body.userId}/pats`, {})).status, 200);
    assert.equal((await manager.as("POST", `/management/v1/users/${peer.userId}/pats`, {})).status, 200);
    assert.equal((await manager.as("POST", `/management/v1/users/${manager.userId}/pats`, {})).status, 200);
    assert.equal((await owner.as("PUT", `/management/v1/users/${manager.userId}/secret`, {})).status, 200);
    refusedAsOutranked(await manager.as("PUT", `/management/v1/users/${owner.userId}/secret`, {}));
    // The instance admin outranks everyone.
    assert.equal((await call("PUT", `/management/v1/users/${owner.userId}/secret`, {})).status, 200);
  });
});

describe("reserved ids", () => {
  it("refuses a client-chosen userId that names the system or the instance (400, API-rSv1d) and writes nothing", async () => {
    const instanceId = ((await service.store.readStream("instance"))[0]!.data as { instanceId: string }).instanceId;
    for (const userId of ["SYSTEM", "system", instanceId]) {
      const before = await service.store.headPosition();
      const refused = await call("POST", "/management/v1/users/machine", { userId, userName: `spoof-${userId}`, name: "S" });
      assert.equal(refused.status, 400, userId);
      assert.equal(refused.body.details[0].id, "API-rSv1d");
      assert.equal(await service.store.headPosition(), before);
    }
  });
});
