import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { create, toJson, type DescMessage } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { bearer } from "../support/grpc.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { add } from "../contract/listUsers.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let defaultOrg: string;
let otherOrg: string;
let adminId: string;
const api = "/management/v1";

before(async () => {
  service = await startTestService();
  call = restClient(service);
  defaultOrg = (await call("GET", `${api}/orgs/me`)).body.org.id;
  otherOrg = (await call("POST", `${api}/orgs`, { name: `Other ${randomUUID()}` })).body.id;
  adminId = ((await service.store.readStream("instance"))[0]!.data as { adminUserId: string }).adminUserId;
});
after(() => service.dispose());

const refused = async (response: Promise<{ status: number; body: any }>, status: number, code: number, id: string) => {
  const { status: actual, body } = await response;
  assert.equal(actual, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.equal(body.details[0].id, id);
};

/** A client with a token of a user of `orgId` holding no role at all. */
async function nobody(orgId: string) {
  const userId = await add(call, orgId, { userName: `nobody-${randomUUID()}` });
  const pat = await call("POST", `${api}/users/${userId}/pats`, {}, { orgId });
  return restClient({ url: service.url, adminToken: pat.body.token });
}

describe("GetUserByLoginNameGlobal", () => {
  it("finds a user of any org by its exact login name, at once after its creation", async () => {
    const userName = `Global-${randomUUID()}`;
    const userId = await add(call, otherOrg, { userName, human: { firstName: "G", lastName: "L", email: "g@example.com" } });
    const found = await call("GET", `${api}/global/users/_by_login_name?loginName=${encodeURIComponent(userName)}`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.user.id, userId);
    assert.deepEqual(found.body.user, (await call("GET", `${api}/users/${userId}`, undefined, { orgId: otherOrg })).body.user);
    // ZITADEL compares the preferred login name exactly.
    await refused(call("GET", `${api}/global/users/_by_login_name?loginName=${encodeURIComponent(userName.toLowerCase())}`), 404, 5, "QUERY-Dfbg2");
  });

  it("needs user.global.read", async () => {
    const client = await nobody(defaultOrg);
    await refused(client("GET", `${api}/global/users/_by_login_name?loginName=x`), 403, 7, "AUTH-5mWD2");
  });
});

describe("IsUserUnique", () => {
  it("says whether the userName (whatever its case, in the whole instance) and, when given, the email are taken", async () => {
    const userName = `unique-${randomUUID()}`;
    await add(call, otherOrg, { userName, human: { firstName: "U", lastName: "N", email: "taken@example.com" } });
    const unique = async (query: string) => (await call("GET", `${api}/users/_is_unique?${query}`)).body.isUnique ?? false;
    assert.equal(await unique(`userName=${userName}`), false, "a user of another org counts: login names are instance-wide");
    assert.equal(await unique(`userName=${userName.toUpperCase()}`), false, "AddHumanUser would refuse it");
    assert.equal(await unique(`userName=${userName}-2`), true);
    assert.equal(await unique(`userName=${userName}&email=taken@example.com`), false);
    assert.equal(await unique(`userName=${userName}&email=other@example.com`), true, "both must match one user, as ZITADEL's query");
    assert.equal(await unique(`email=taken@example.com`), false);
  });
});

describe("ListUserMemberships", () => {
  it("lists the memberships in the instance and in the caller's org, with the scope's name and the membership's details", async () => {
    const listed = await call("POST", `${api}/users/${adminId}/memberships/_search`, {});
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const [iam] = listed.body.result;
    assert.equal(iam.iam, true);
    assert.deepEqual(iam.roles, ["IAM_OWNER"]);
    assert.equal(typeof iam.displayName, "string");
    assert.match(iam.details.sequence, /^\d+$/);

    const userId = await add(call, defaultOrg, { userName: `member-${randomUUID()}` });
    assert.equal((await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_USER_MANAGER"] })).status, 200);
    assert.equal((await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_OWNER"] }, { orgId: otherOrg })).status, 200);
    const mine = await call("POST", `${api}/users/${userId}/memberships/_search`, {});
    assert.equal(mine.body.details.totalResult, "1", "the other org's membership is not the caller's org's");
    assert.equal(mine.body.result[0].orgId, defaultOrg);
    assert.deepEqual(mine.body.result[0].roles, ["ORG_USER_MANAGER"]);
    assert.equal(mine.body.result[0].displayName, (await call("GET", `${api}/orgs/me`)).body.org.name);
    const filtered = await call("POST", `${api}/users/${userId}/memberships/_search`, { queries: [{ iamQuery: { iam: true } }] });
    assert.equal(filtered.body.details.totalResult ?? "0", "0");
    const byOrg = await call("POST", `${api}/users/${userId}/memberships/_search`, { queries: [{ orgQuery: { orgId: defaultOrg } }] });
    assert.equal(byOrg.body.details.totalResult, "1");
    await refused(call("POST", `${api}/users/${userId}/memberships/_search`, { query: { limit: 1001 } }), 400, 3, "QUERY-4M0fs");
  });
});

describe("GetMyOrg and GetOrgByDomainGlobal", () => {
  it("answers the caller's org (or x-zitadel-orgid's), and finds an org by its primary domain in the whole instance", async () => {
    const mine = await call("GET", `${api}/orgs/me`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.org.state, "ORG_STATE_ACTIVE");
    const other = await call("GET", `${api}/orgs/me`, undefined, { orgId: otherOrg });
    assert.equal(other.body.org.id, otherOrg);
    assert.ok(other.body.org.primaryDomain);
    const found = await call("GET", `${api}/global/orgs/_by_domain?domain=${other.body.org.primaryDomain}`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.org, other.body.org);
    await refused(call("GET", `${api}/global/orgs/_by_domain?domain=nowhere.example`), 404, 5, "QUERY-iTTGJ");
  });
});

describe("ListOrgMembers", () => {
  it("lists the org's members with their users' names, filtered, paged and counted", async () => {
    const orgId = (await call("POST", `${api}/orgs`, { name: `Members ${randomUUID()}` })).body.id as string;
    const ada = await add(call, orgId, { userName: `ada-${randomUUID()}`, human: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", displayName: "Ada L" } });
    const bot = await add(call, orgId, { userName: `bot-${randomUUID()}` });
    for (const userId of [ada, bot]) assert.equal((await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_USER_MANAGER"] }, { orgId })).status, 200);
    const all = await call("POST", `${api}/orgs/me/members/_search`, {}, { orgId });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    // AddOrg made its creator (the admin) an ORG_OWNER there.
    assert.equal(all.body.details.totalResult, "3");
    assert.deepEqual(all.body.result.map((member: { userId: string }) => member.userId).sort(), [ada, bot, adminId].sort());
    const adaMember = all.body.result.find((member: { userId: string }) => member.userId === ada);
    assert.equal(adaMember.email, "ada@example.com");
    assert.equal(adaMember.displayName, "Ada L");
    assert.equal(adaMember.userType, "TYPE_HUMAN");
    assert.deepEqual(adaMember.roles, ["ORG_USER_MANAGER"]);
    const byName = await call("POST", `${api}/orgs/me/members/_search`, { queries: [{ firstNameQuery: { firstName: "ada", method: "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE" } }] }, { orgId });
    assert.deepEqual(byName.body.result.map((member: { userId: string }) => member.userId), [ada]);
    const byId = await call("POST", `${api}/orgs/me/members/_search`, { queries: [{ userIdQuery: { userId: bot } }] }, { orgId });
    assert.equal(byId.body.result[0].userType, "TYPE_MACHINE");
    const paged = await call("POST", `${api}/orgs/me/members/_search`, { query: { offset: "1", limit: 1 } }, { orgId });
    assert.equal(paged.body.result.length, 1);
    assert.equal(paged.body.details.totalResult, "3");
    assert.equal(paged.body.result[0].userId, all.body.result[1].userId);
  });

  it("needs org.member.read", async () => {
    const client = await nobody(defaultOrg);
    await refused(client("POST", `${api}/orgs/me/members/_search`, {}), 403, 7, "AUTH-5mWD2");
  });
});

describe("the same reads over gRPC", () => {
  it("answer what REST answers", async () => {
    const auth = bearer(service.adminToken);
    const grpc = createClient(ManagementService, createGrpcTransport({ baseUrl: service.url, interceptors: [auth] })) as unknown as Record<string, (request: object) => Promise<object>>;
    const userName = `grpc-reads-${randomUUID()}`;
    const userId = await add(call, defaultOrg, { userName, human: { firstName: "Gr", lastName: "Pc", email: "grpc@example.com" } });
    const domain = (await call("GET", `${api}/orgs/me`)).body.org.primaryDomain as string;
    const cases: [string, object, Promise<{ status: number; body: unknown }>][] = [
      ["getUserByLoginNameGlobal", { loginName: userName }, call("GET", `${api}/global/users/_by_login_name?loginName=${userName}`)],
      ["isUserUnique", { userName }, call("GET", `${api}/users/_is_unique?userName=${userName}`)],
      ["listUserMemberships", { userId: adminId }, call("POST", `${api}/users/${adminId}/memberships/_search`, {})],
      ["getMyOrg", {}, call("GET", `${api}/orgs/me`)],
      ["getOrgByDomainGlobal", { domain }, call("GET", `${api}/global/orgs/_by_domain?domain=${domain}`)],
      ["listOrgMembers", {}, call("POST", `${api}/orgs/me/members/_search`, {})],
    ];
    for (const [name, request, overRest] of cases) {
      const output = ManagementService.methods.find((m) => m.localName === name)!.output as DescMessage;
      const answer = toJson(output, create(output, (await grpc[name]!(request)) as never)) as Record<string, any>;
      const rest = (await overRest).body as Record<string, any>;
      // viewTimestamp is the time of each answer.
      for (const body of [answer, rest]) delete body.details?.viewTimestamp;
      assert.deepEqual(answer, rest, name);
    }
    assert.ok(userId);
  });
});
