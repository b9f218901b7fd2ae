import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

const machine = (userName: string, extra: Record<string, unknown> = {}) =>
  call("POST", "/management/v1/users/machine", { userName, name: "My Machine Account", ...extra });

describe("AddMachineUser + GetUserByID", () => {
  it("creates a machine user whose details read back identically, with no wait in between", async () => {
    const created = await machine("robot-1", { description: "First machine account used for API XY." });
    assert.equal(created.status, 200);
    assert.match(created.body.userId, /^\d{17,19}$/);
    const { details } = created.body;
    assert.equal(details.sequence, "1");
    assert.equal(details.creationDate, details.changeDate);
    assert.ok(!Number.isNaN(Date.parse(details.creationDate)));

    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.user.details, details);
    assert.deepEqual(read.body.user, {
      id: created.body.userId,
      details,
      state: "USER_STATE_ACTIVE",
      userName: "robot-1",
      loginNames: ["robot-1"],
      preferredLoginName: "robot-1",
      // protojson leaves defaults out (ZITADEL's gateway too): bearer is the zero value.
      machine: { name: "My Machine Account", description: "First machine account used for API XY." },
    });
  });

  it("uses the caller's org as resource owner", async () => {
    const created = await machine("robot-owner");
    const me = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.equal(created.body.details.resourceOwner, me.body.user.details.resourceOwner);
    assert.match(created.body.details.resourceOwner, /^\d+$/);
  });

  it("accepts snake_case names and enum numbers, and ignores unknown fields (as ZITADEL's gateway)", async () => {
    const created = await call("POST", "/management/v1/users/machine", { user_name: "robot-snake", name: "S", access_token_type: 1, notAField: true });
    assert.equal(created.status, 200);
    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.equal(read.body.user.machine.accessTokenType, "ACCESS_TOKEN_TYPE_JWT");
  });

  it("takes a client-chosen userId, once", async () => {
    const first = await machine("robot-chosen-1", { userId: "my-own-id" });
    assert.equal(first.status, 200);
    assert.equal(first.body.userId, "my-own-id");
    const second = await machine("robot-chosen-2", { userId: "my-own-id" });
    assert.equal(second.status, 400);
    assert.equal(second.body.code, 9);
    assert.equal(second.body.details[0].id, "COMMAND-k2una");
  });

  it("refuses a taken userName, whatever its case (409, code 6)", async () => {
    assert.equal((await machine("Robot-Dup")).status, 200);
    const duplicate = await machine("robot-DUP");
    assert.equal(duplicate.status, 409);
    assert.deepEqual(duplicate.body, {
      code: 6,
      message: "User already exists (V3-DKcYh)",
      details: [{ "@type": "type.googleapis.com/zitadel.v1.ErrorDetail", id: "V3-DKcYh", message: "User already exists" }],
    });
  });

  it("answers an unknown user with 404 (QUERY-Dfbg2)", async () => {
    const read = await call("GET", "/management/v1/users/123456789");
    assert.equal(read.status, 404);
    assert.equal(read.body.code, 5);
    assert.equal(read.body.details[0].id, "QUERY-Dfbg2");
  });
});

describe("UpdateMachine", () => {
  it("raises the sequence, keeps the creation date, and reads back", async () => {
    const created = await machine("robot-update");
    const updated = await call("PUT", `/management/v1/users/${created.body.userId}/machine`, {
      name: "Renamed",
      description: "now with a description",
      accessTokenType: "ACCESS_TOKEN_TYPE_JWT",
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.details.sequence, "2");
    assert.equal(updated.body.details.creationDate, created.body.details.creationDate);
    assert.ok(updated.body.details.changeDate >= created.body.details.changeDate);
    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.deepEqual(read.body.user.details, updated.body.details);
    assert.deepEqual(read.body.user.machine, { name: "Renamed", description: "now with a description", accessTokenType: "ACCESS_TOKEN_TYPE_JWT" });
  });

  it("answers a change that changes nothing with FAILED_PRECONDITION (COMMAND-2n8vs)", async () => {
    const created = await machine("robot-nochange");
    const same = await call("PUT", `/management/v1/users/${created.body.userId}/machine`, { name: "My Machine Account" });
    assert.equal(same.status, 400);
    assert.equal(same.body.code, 9);
    assert.equal(same.body.details[0].id, "COMMAND-2n8vs");
  });

  it("answers an unknown user with 404 (COMMAND-5M0od)", async () => {
    const missing = await call("PUT", "/management/v1/users/404404/machine", { name: "x" });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.details[0].id, "COMMAND-5M0od");
  });

  it("takes the user id from the path, not the body", async () => {
    const target = await machine("robot-path");
    const other = await machine("robot-other");
    const updated = await call("PUT", `/management/v1/users/${target.body.userId}/machine`, { userId: other.body.userId, name: "Path wins" });
    assert.equal(updated.status, 200);
    assert.equal((await call("GET", `/management/v1/users/${target.body.userId}`)).body.user.machine.name, "Path wins");
    assert.equal((await call("GET", `/management/v1/users/${other.body.userId}`)).body.user.machine.name, "My Machine Account");
  });
});

describe("GenerateMachineSecret", () => {
  it("returns the userName as clientId and a fresh 64-character secret, once", async () => {
    const created = await machine("robot-secret");
    const first = await call("PUT", `/management/v1/users/${created.body.userId}/secret`, {});
    assert.equal(first.status, 200);
    assert.equal(first.body.clientId, "robot-secret");
    assert.match(first.body.clientSecret, /^[A-Za-z0-9]{64}$/);
    assert.equal(first.body.details.sequence, "2");
    const second = await call("PUT", `/management/v1/users/${created.body.userId}/secret`, {});
    assert.notEqual(second.body.clientSecret, first.body.clientSecret);
    assert.equal(second.body.details.sequence, "3");

    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.deepEqual(read.body.user.details, second.body.details);
    assert.equal(read.body.user.machine.hasSecret, true);
    assert.ok(!JSON.stringify(read.body).includes(second.body.clientSecret));
  });

  it("refuses a human or an unknown user (COMMAND-x8910n)", async () => {
    const missing = await call("PUT", "/management/v1/users/777/secret", {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.details[0].id, "COMMAND-x8910n");
  });
});

describe("AddHumanUser", () => {
  const human = (userName: string, extra: Record<string, unknown> = {}) =>
    call("POST", "/management/v1/users/human", {
      userName,
      profile: { firstName: "Gigi", lastName: "Giraffe", preferredLanguage: "en", gender: "GENDER_FEMALE" },
      email: { email: `${userName}@example.com`, isEmailVerified: true },
      phone: { phone: "+41 79 123 45 67", isPhoneVerified: true },
      initialPassword: "Secr3t!Passw0rd",
      ...extra,
    });

  it("creates an active human with a verified email and a password", async () => {
    const created = await human("gigi");
    assert.equal(created.status, 200);
    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.deepEqual(read.body.user.details, created.body.details);
    assert.equal(read.body.user.state, "USER_STATE_ACTIVE");
    assert.deepEqual(read.body.user.human, {
      profile: { firstName: "Gigi", lastName: "Giraffe", displayName: "Gigi Giraffe", preferredLanguage: "en", gender: "GENDER_FEMALE" },
      email: { email: "gigi@example.com", isEmailVerified: true },
      phone: { phone: "+41791234567", isPhoneVerified: true },
    });
  });

  it("leaves a human who must still initialize in state INITIAL", async () => {
    const created = await human("gigi-unverified", { email: { email: "u@example.com" }, initialPassword: "" });
    const read = await call("GET", `/management/v1/users/${created.body.userId}`);
    assert.equal(read.body.user.state, "USER_STATE_INITIAL");
  });

  it("checks the initial password against the default complexity policy", async () => {
    const weak = await human("gigi-weak", { initialPassword: "password" });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.details[0].id, "COMMA-VoaRj");
  });

  it("shares the userName namespace with machines", async () => {
    await machine("shared-name");
    const clash = await human("SHARED-name");
    assert.equal(clash.status, 409);
  });
});

describe("AddOrg and x-zitadel-orgid", () => {
  it("creates an org and works in it through the header", async () => {
    const org = await call("POST", "/management/v1/orgs", { name: "Acme Corp" });
    assert.equal(org.status, 200);
    const orgId = org.body.id;
    assert.equal(org.body.details.resourceOwner, orgId);

    const created = await call("POST", "/management/v1/users/machine", { userName: "acme-robot", name: "A" }, { orgId });
    assert.equal(created.status, 200);
    assert.equal(created.body.details.resourceOwner, orgId);
    assert.equal((await call("GET", `/management/v1/users/${created.body.userId}`, undefined, { orgId })).status, 200);
    // Not in the caller's own org:
    assert.equal((await call("GET", `/management/v1/users/${created.body.userId}`)).status, 404);
    assert.equal((await call("PUT", `/management/v1/users/${created.body.userId}/machine`, { name: "B" })).status, 404);
  });

  it("refuses an org name that is taken (409)", async () => {
    assert.equal((await call("POST", "/management/v1/orgs", { name: "Unique Org" })).status, 200);
    const again = await call("POST", "/management/v1/orgs", { name: "unique org" });
    assert.equal(again.status, 409);
    assert.equal(again.body.details[0].id, "V3-DKcYh");
  });

  it("refuses an org that does not exist (403, AUTH-Bs7Ds)", async () => {
    const refused = await machine("robot-ghost-org").then(() =>
      call("POST", "/management/v1/users/machine", { userName: "ghost", name: "G" }, { orgId: "999999" }),
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 7);
    assert.equal(refused.body.details[0].id, "AUTH-Bs7Ds");
  });

  it("refuses an org the caller holds no role in (403, AUTH-5mWD2), as ZITADEL does", async () => {
    // An org owner of "Other Org" gets a token of its own...
    const other = await call("POST", "/management/v1/orgs", { name: "Other Org" });
    const owner = await call("POST", "/management/v1/users/machine", { userName: "other-owner", name: "O" }, { orgId: other.body.id });
    assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId: owner.body.userId, roles: ["ORG_OWNER"] }, { orgId: other.body.id })).status, 200);
    const pat = await call("POST", `/management/v1/users/${owner.body.userId}/pats`, {}, { orgId: other.body.id });
    assert.equal(pat.status, 200);
    const asOwner = restClient({ url: service.url, adminToken: pat.body.token });

    // ...and may act in its org, but not in the default org:
    assert.equal((await asOwner("POST", "/management/v1/users/machine", { userName: "made-by-owner", name: "M" })).status, 200);
    const defaultOrg = (await machine("robot-default-org")).body.details.resourceOwner;
    const refused = await asOwner("POST", "/management/v1/users/machine", { userName: "sneaky", name: "S" }, { orgId: defaultOrg });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.details[0].id, "AUTH-5mWD2");

    // A machine user with a token but no role at all may do nothing.
    const plain = await machine("robot-no-role");
    const plainPat = await call("POST", `/management/v1/users/${plain.body.userId}/pats`, {});
    const asPlain = restClient({ url: service.url, adminToken: plainPat.body.token });
    assert.equal((await asPlain("GET", `/management/v1/users/${plain.body.userId}`)).status, 403);
  });
});

describe("authentication", () => {
  it("answers a missing token with 401 code 16 and ZITADEL's message", async () => {
    const response = await call("POST", "/management/v1/users/machine", { userName: "x", name: "x" }, { token: null });
    assert.equal(response.status, 401);
    assert.deepEqual(response.body, { code: 16, message: "auth header missing", details: [] });
  });

  it("answers an unknown token with 401 (AUTH-7fs1e)", async () => {
    const response = await call("GET", "/management/v1/users/1", undefined, { token: "not-a-token" });
    assert.equal(response.status, 401);
    assert.equal(response.body.details[0].id, "AUTH-7fs1e");
  });

  it("answers a header that is not a bearer token with 401", async () => {
    const response = await call("GET", "/management/v1/users/1", undefined, { token: null, headers: { authorization: "Basic abc" } });
    assert.equal(response.status, 401);
    assert.equal(response.body.code, 16);
  });
});

describe("probes", () => {
  it("answers /debug/healthz and /debug/ready", async () => {
    assert.equal((await fetch(`${service.url}/debug/healthz`)).status, 200);
    const ready = await fetch(`${service.url}/debug/ready`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ok");
  });
});
