import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coversRoles } from "../../src/auth/roles.js";
import { touchesAccess } from "../../src/auth/sessionWatch.js";
import { userAccess } from "../../src/auth/userAccess.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { collections, memberKey, type MemberView } from "../../src/projections/views.js";
import { createQueries } from "../../src/queries/queries.js";

describe("coversRoles", () => {
  it("compares what roles grant, not their names; an unknown role needs an instance owner", () => {
    assert.equal(coversRoles(["ORG_OWNER"], ["ORG_USER_MANAGER"]), true);
    assert.equal(coversRoles(["ORG_USER_MANAGER"], ["ORG_OWNER"]), false);
    assert.equal(coversRoles(["ORG_OWNER"], ["IAM_OWNER"]), false);
    assert.equal(coversRoles(["IAM_OWNER"], ["IAM_OWNER", "ORG_OWNER"]), true);
    assert.equal(coversRoles(["ORG_OWNER"], ["SOME_FUTURE_ROLE"]), false);
    assert.equal(coversRoles(["IAM_OWNER"], ["SOME_FUTURE_ROLE"]), true);
    assert.equal(coversRoles([], []), true);
  });
});

describe("userAccess over the read model", () => {
  const member = (scope: string, userId: string, roles: string[]) => {
    const details = { sequence: 1, creationDate: "2026-01-01T00:00:00.000Z", changeDate: "2026-01-01T00:00:00.000Z", resourceOwner: scope };
    const doc: MemberView = { scope, userId, roles, details };
    return { op: "put" as const, collection: collections.members, id: memberKey(scope, userId), doc, indexes: { user: userId } };
  };
  const setup = async () => {
    const readModel = createMemoryReadModel();
    await readModel.commit(
      [member("instance", "admin", ["IAM_OWNER"]), member("org-a", "owner-a", ["ORG_OWNER"]), member("org-a", "manager-a", ["ORG_USER_MANAGER"]), member("org-b", "manager-a", ["ORG_OWNER"])],
      1n,
    );
    // The guard only reads the read model; the store is never asked.
    const queries = createQueries({ store: {} as EventStore, readModel, projector: { waitFor: async () => true }, consistencyTimeoutMs: 0, signingKeys: {} as never });
    return userAccess(queries);
  };
  const caller = (userId: string, orgId: string) => ({ userId, orgId, correlationId: "c" });

  it("refuses acting on a user whose roles in any scope the caller does not cover", async () => {
    const access = await setup();
    await assert.rejects(access.assertMayManage(caller("owner-a", "org-a"), { userId: "manager-a", homeOrg: "org-a" }, "AddPersonalAccessToken"), { id: "API-Esc4l" });
    await assert.rejects(access.assertMayManage(caller("owner-a", "org-a"), { userId: "admin", homeOrg: "org-a" }, "ChangeMachine"), { id: "API-Esc4l" });
    await access.assertMayManage(caller("admin", "org-a"), { userId: "manager-a", homeOrg: "org-a" }, "AddPersonalAccessToken");
    await access.assertMayManage(caller("manager-a", "org-a"), { userId: "someone-without-roles" }, "AddMachineUser");
  });

  it("counts only the home org and the instance for a state change: a foreign role is no shield against lock or removal", async () => {
    const access = await setup();
    for (const command of ["LockUser", "UnlockUser", "DeactivateUser", "ReactivateUser", "RemoveUser"] as const) {
      await access.assertMayManage(caller("owner-a", "org-a"), { userId: "manager-a", homeOrg: "org-a" }, command);
      await assert.rejects(access.assertMayManage(caller("owner-a", "org-a"), { userId: "admin", homeOrg: "org-a" }, command), { id: "API-Esc4l" });
    }
    // Were org-b manager-a's home, its ORG_OWNER there would count, and owner-a holds nothing in org-b.
    await assert.rejects(access.assertMayManage(caller("owner-a", "org-a"), { userId: "manager-a", homeOrg: "org-b" }, "LockUser"), { id: "API-Esc4l" });
  });

  it("refuses granting roles the caller does not hold in that scope", async () => {
    const access = await setup();
    await assert.rejects(access.assertMayGrant(caller("manager-a", "org-a"), "org-a", ["ORG_OWNER"]), { id: "API-Gr4nt" });
    await access.assertMayGrant(caller("manager-a", "org-b"), "org-b", ["ORG_OWNER", "ORG_USER_MANAGER"]);
    await assert.rejects(access.assertMayGrant(caller("owner-a", "org-a"), "instance", ["IAM_OWNER"]), { id: "API-Gr4nt" });
    await access.assertMayGrant(caller("admin", "org-c"), "org-c", ["ORG_OWNER"]);
  });
});

describe("touchesAccess", () => {
  const session = { caller: { userId: "u1", orgId: "o1", correlationId: "c" }, expiresAt: Infinity, tokenHash: "h", tokenId: "t1" };
  const event = (stream: string, data: unknown) => ({
    id: "e", type: "t", stream, revision: 0, position: 1n, data,
    metadata: { resourceOwner: "o1", instanceId: "i", editorUser: "x", createdAt: new Date(0).toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 },
  });
  it("is true for the caller's own stream, its token's session, its org's and the instance's, and events naming it as userId", () => {
    assert.equal(touchesAccess(event("user-u1", {}), session), true);
    assert.equal(touchesAccess(event("oidc_session-t1", {}), session), true);
    assert.equal(touchesAccess(event("org-o1", { name: "x" }), session), true);
    assert.equal(touchesAccess(event("instance", {}), session), true);
    assert.equal(touchesAccess(event("org-o2", { userId: "u1", roles: ["ORG_OWNER"] }), session), true);
  });
  it("is false for everybody else's events", () => {
    assert.equal(touchesAccess(event("user-u2", { userId: "u2" }), session), false);
    assert.equal(touchesAccess(event("org-o2", { userId: "u2" }), session), false);
    assert.equal(touchesAccess(event("user-u10", null), session), false);
    assert.equal(touchesAccess(event("oidc_session-t2", {}), session), false);
  });
});
