import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { machineActor, restClient, startTestService, type TestService } from "../support/service.js";

// authorize caches a principal per token for the read-model version it was read at
// (src/auth/principalCache.ts). Each case warms that cache with repeated reads, then changes the
// token, the user or its memberships, and expects the very next request to be refused.

let service: TestService;
let call: ReturnType<typeof restClient>;
let orgId: string;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  orgId = (await call("POST", "/management/v1/orgs", { name: "Cached" })).body.id as string;
});
after(() => service.dispose());

const actor = (userName: string, roles: string[]) => machineActor(service, userName, orgId, roles);

/** Reads its own user a few times, as a client between two changes would. */
async function warm(who: Awaited<ReturnType<typeof actor>>) {
  for (let i = 0; i < 3; i++) assert.equal((await who.as("GET", `/management/v1/users/${who.userId}`)).status, 200);
}

const refused = (response: { status: number; body: any }, status: number, id: string) => {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.details[0].id, id);
};

describe("a cached principal never outlives a change to its token, user or memberships", () => {
  it("a removed token is refused on the next request", async () => {
    const who = await actor("cache-pat", ["ORG_USER_MANAGER"]);
    await warm(who);
    assert.equal((await call("DELETE", `/management/v1/users/${who.userId}/pats/${who.tokenId}`, undefined, { orgId })).status, 200);
    refused(await who.as("GET", `/management/v1/users/${who.userId}`), 401, "AUTH-7fs1e");
  });

  it("a locked user is refused on the next request, and served again once unlocked", async () => {
    const who = await actor("cache-lock", ["ORG_USER_MANAGER"]);
    await warm(who);
    assert.equal((await call("POST", `/management/v1/users/${who.userId}/_lock`, {}, { orgId })).status, 200);
    refused(await who.as("GET", `/management/v1/users/${who.userId}`), 401, "AUTH-7fs1e");
    assert.equal((await call("POST", `/management/v1/users/${who.userId}/_unlock`, {}, { orgId })).status, 200);
    assert.equal((await who.as("GET", `/management/v1/users/${who.userId}`)).status, 200);
  });

  it("a deactivated user is refused on the next request", async () => {
    const who = await actor("cache-deactivate", ["ORG_USER_MANAGER"]);
    await warm(who);
    assert.equal((await call("POST", `/management/v1/users/${who.userId}/_deactivate`, {}, { orgId })).status, 200);
    refused(await who.as("GET", `/management/v1/users/${who.userId}`), 401, "AUTH-7fs1e");
  });

  it("a removed user is refused on the next request", async () => {
    const who = await actor("cache-remove", ["ORG_USER_MANAGER"]);
    await warm(who);
    assert.equal((await call("DELETE", `/management/v1/users/${who.userId}`, undefined, { orgId })).status, 200);
    refused(await who.as("GET", `/management/v1/users/${who.userId}`), 401, "AUTH-7fs1e");
  });

  it("a membership granted is there on the next request", async () => {
    const who = await actor("cache-member", []);
    for (let i = 0; i < 3; i++) refused(await who.as("GET", `/management/v1/users/${who.userId}`), 403, "AUTH-5mWD2");
    assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId: who.userId, roles: ["ORG_USER_MANAGER"] }, { orgId })).status, 200);
    assert.equal((await who.as("GET", `/management/v1/users/${who.userId}`)).status, 200);
  });

  it("the same token with another org header is authorized for that org, not served the other's principal", async () => {
    const who = await actor("cache-org", ["ORG_USER_MANAGER"]);
    await warm(who);
    refused(await who.as("GET", `/management/v1/users/${who.userId}`, undefined, { orgId: "no-such-org" }), 403, "AUTH-Bs7Ds");
    const defaultOrg = (await call("POST", "/management/v1/users/machine", { userName: "cache-probe", name: "P" })).body.details.resourceOwner as string;
    refused(await who.as("GET", `/management/v1/users/${who.userId}`, undefined, { orgId: defaultOrg }), 403, "AUTH-5mWD2");
    assert.equal((await who.as("GET", `/management/v1/users/${who.userId}`, undefined, { orgId })).status, 200);
  });
});
