import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let adminId: string;
let defaultOrg: string;
let robotId: string;

const noSecretHashes = (body: unknown) => {
  const text = JSON.stringify(body);
  assert.doesNotMatch(text, /sha256:|scrypt:/, "an answer carries a hash");
};

/** A machine user of `orgId` with `roles` there, and its personal access token. */
async function memberWithToken(userName: string, orgId: string, roles: string[]): Promise<{ userId: string; token: string }> {
  const user = await call("POST", "/management/v1/users/machine", { userName, name: userName }, { orgId });
  assert.equal(user.status, 200);
  if (roles.length > 0) assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId: user.body.userId, roles }, { orgId })).status, 200);
  const pat = await call("POST", `/management/v1/users/${user.body.userId}/pats`, {}, { orgId });
  assert.equal(pat.status, 200);
  return { userId: user.body.userId, token: pat.body.token };
}

before(async () => {
  service = await startTestService();
  call = restClient(service);
  const robot = await call("POST", "/management/v1/users/machine", { userName: "audited", name: "Audited Robot" });
  robotId = robot.body.userId;
  defaultOrg = robot.body.details.resourceOwner;
  await call("PUT", `/management/v1/users/${robotId}/machine`, { name: "Renamed Robot", description: "changed" });
  await call("PUT", `/management/v1/users/${robotId}/secret`, {});
  await call("POST", `/management/v1/users/${robotId}/pats`, {});
  await call("POST", "/management/v1/users/human", {
    userName: "ada",
    profile: { firstName: "Ada", lastName: "Lovelace" },
    email: { email: "ada@example.com" },
    initialPassword: "Secr3t-Passw0rd!",
  });
  const changes = await call("POST", `/management/v1/users/${robotId}/changes/_search`, {});
  adminId = changes.body.result[0].editorId;
});
after(() => service.dispose());

describe("ListUserChanges", () => {
  it("returns the user's history oldest first with ZITADEL's Change fields", async () => {
    const { status, body } = await call("POST", `/management/v1/users/${robotId}/changes/_search`, { query: { asc: true } });
    assert.equal(status, 200);
    assert.deepEqual(
      body.result.map((c: any) => [c.sequence, c.eventType.key]),
      [
        ["1", "EventTypes.user.machine.added"],
        ["2", "EventTypes.user.machine.changed"],
        ["3", "EventTypes.user.machine.secret.set"],
        ["4", "EventTypes.user.pat.added"],
      ],
    );
    const [first] = body.result;
    assert.equal(first.eventType.localizedMessage, "Technical user added");
    assert.equal(first.editorDisplayName, "Admin");
    assert.equal(first.editorPreferredLoginName, "zitadel-admin-sa");
    assert.match(first.editorId, /^\d+$/);
    assert.equal(first.resourceOwnerId, defaultOrg);
    assert.ok(!Number.isNaN(Date.parse(first.changeDate)));
    noSecretHashes(body);
  });

  it("the last change's sequence and date are the user's details", async () => {
    const user = await call("GET", `/management/v1/users/${robotId}`);
    const { body } = await call("POST", `/management/v1/users/${robotId}/changes/_search`, { query: { limit: 1 } });
    assert.equal(body.result[0].sequence, user.body.user.details.sequence);
    assert.equal(body.result[0].changeDate, user.body.user.details.changeDate);
  });

  it("pages as ZITADEL: events after `sequence`, `limit` of them, newest first unless asc", async () => {
    const page = async (query: object) =>
      (await call("POST", `/management/v1/users/${robotId}/changes/_search`, { query })).body.result.map((c: any) => c.sequence);
    assert.deepEqual(await page({ sequence: "2", limit: 1, asc: true }), ["3"]);
    assert.deepEqual(await page({ sequence: "2", asc: true }), ["3", "4"]);
    assert.deepEqual(await page({ limit: 2 }), ["4", "3"]);
    assert.deepEqual(await page({}), ["4", "3", "2", "1"]);
    // ZITADEL's changes query always reads "greater than sequence"; desc only orders them.
    assert.deepEqual(await page({ sequence: "2" }), ["4", "3"]);
  });

  it("answers NotFound when no event follows `sequence`, and for a user of another org or none", async () => {
    const past = await call("POST", `/management/v1/users/${robotId}/changes/_search`, { query: { sequence: "4", asc: true } });
    assert.equal(past.status, 404);
    assert.equal(past.body.details[0].id, "QUERY-FpQqK");
    const unknown = await call("POST", "/management/v1/users/424242/changes/_search", {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.details[0].id, "QUERY-Dfbg2");
    const org = await call("POST", "/management/v1/orgs", { name: "Other Org" });
    const elsewhere = await call("POST", `/management/v1/users/${robotId}/changes/_search`, {}, { orgId: org.body.id });
    assert.equal(elsewhere.status, 404);
  });

  it("needs user.read", async () => {
    const { token } = await memberWithToken("no-roles", defaultOrg, []);
    const denied = await call("POST", `/management/v1/users/${robotId}/changes/_search`, {}, { token });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.details[0].id, "AUTH-5mWD2");
  });
});

describe("ListEvents", () => {
  const list = (body: object, options = {}) => call("POST", "/admin/v1/events/_search", body, options);

  it("lists the whole log oldest first for an instance admin, payloads redacted", async () => {
    const { status, body } = await list({ asc: true });
    assert.equal(status, 200);
    assert.equal(body.events[0].type.type, "instance.added");
    assert.deepEqual(body.events[0].aggregate.type, { type: "instance", localized: { key: "AggregateTypes.instance", localizedMessage: "Instance" } });
    const sequences = body.events.map((e: any) => BigInt(e.sequence));
    assert.deepEqual(sequences, [...sequences].sort((a, b) => (a < b ? -1 : 1)));
    const secret = body.events.find((e: any) => e.type.type === "user.machine.secret.set");
    assert.deepEqual(secret.payload, { hashedSecret: "[redacted]" });
    const human = body.events.find((e: any) => e.type.type === "user.human.added");
    assert.equal(human.payload.encodedHash, "[redacted]");
    assert.equal(human.payload.userName, "ada");
    const code = body.events.find((e: any) => e.type.type === "user.human.initialization.code.added");
    assert.equal(code.payload.code, "[redacted]");
    const pat = body.events.find((e: any) => e.type.type === "user.pat.added");
    assert.equal(pat.payload.tokenHash, "[redacted]");
    noSecretHashes(body);
  });

  it("pages by sequence (the global position) in both directions", async () => {
    const all = (await list({ asc: true })).body.events.map((e: any) => e.sequence);
    const second = (await list({ asc: true, sequence: all[2], limit: 2 })).body.events.map((e: any) => e.sequence);
    assert.deepEqual(second, all.slice(3, 5));
    const newest = (await list({ limit: 3 })).body.events.map((e: any) => e.sequence);
    assert.deepEqual(newest, all.slice(-3).reverse());
    const before = (await list({ sequence: all[4], limit: 2 })).body.events.map((e: any) => e.sequence);
    assert.deepEqual(before, [all[3], all[2]]);
    // Beyond int64 nothing follows; it is not a client error, let alone a 500.
    const beyond = await list({ asc: true, sequence: "9223372036854775808" });
    assert.equal(beyond.status, 200, JSON.stringify(beyond.body));
    assert.deepEqual(beyond.body.events ?? [], []);
  });

  it("filters by event type, aggregate, editor, resource owner and creation date", async () => {
    const types = (await list({ asc: true, eventTypes: ["user.machine.changed", "user.machine.secret.set"] })).body.events;
    assert.deepEqual(types.map((e: any) => e.type.type), ["user.machine.changed", "user.machine.secret.set"]);
    const robot = (await list({ asc: true, aggregateId: robotId, aggregateTypes: ["user"] })).body.events;
    assert.equal(robot.length, 4);
    assert.ok(robot.every((e: any) => e.aggregate.id === robotId && e.aggregate.resourceOwner === defaultOrg));
    const orgs = (await list({ asc: true, aggregateTypes: ["org"] })).body.events;
    assert.ok(orgs.length > 0 && orgs.every((e: any) => e.aggregate.type.type === "org"));
    const byAdmin = (await list({ asc: true, editorUserId: adminId })).body.events;
    assert.ok(byAdmin.length > 0 && byAdmin.every((e: any) => e.editor.userId === adminId && e.editor.displayName === "Admin"));
    const system = (await list({ asc: true, editorUserId: "SYSTEM" })).body.events;
    assert.ok(system.some((e: any) => e.type.type === "instance.added"));
    const owned = (await list({ asc: true, resourceOwner: defaultOrg })).body.events;
    assert.ok(owned.length > 0 && owned.every((e: any) => e.aggregate.resourceOwner === defaultOrg));

    const all = (await list({ asc: true })).body.events;
    const cut = all.find((e: any) => e.type.type === "user.machine.changed").creationDate;
    const since = (await list({ asc: true, range: { since: cut } })).body.events;
    assert.ok(since.length > 0 && since.every((e: any) => Date.parse(e.creationDate) >= Date.parse(cut)));
    const until = (await list({ asc: true, range: { until: cut } })).body.events;
    assert.ok(until.length > 0 && until.every((e: any) => Date.parse(e.creationDate) < Date.parse(cut)));
    assert.equal(since.length + until.length, all.length);
  });

  it("refuses more than 30 event types or 10 aggregate types with 400, as the descriptors bound them", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `user.type${i}`);
    assert.equal((await list({ eventTypes: many(30), aggregateTypes: many(10) })).status, 200);
    for (const [body, field, max] of [[{ eventTypes: many(31) }, "EventTypes", 30], [{ aggregateTypes: many(11) }, "AggregateTypes", 10]] as const) {
      const refused = await list(body);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 3);
      assert.equal(refused.body.message, `invalid ListEventsRequest.${field}: value must contain no more than ${max} item(s)`);
    }
    // A huge list is refused before a single event is read, not matched against each of them.
    assert.equal((await list({ eventTypes: many(1000) })).status, 400);
  });

  it("an org owner sees only its org's events; a user without events.read is refused", async () => {
    const org = await call("POST", "/management/v1/orgs", { name: "Acme" });
    const orgId = org.body.id;
    const owner = await memberWithToken("acme-owner", orgId, ["ORG_OWNER"]);
    const { status, body } = await list({ asc: true }, { token: owner.token });
    assert.equal(status, 200);
    assert.ok(body.events.some((e: any) => e.type.type === "org.added" && e.aggregate.id === orgId));
    assert.ok(body.events.every((e: any) => e.aggregate.resourceOwner === orgId));

    const plain = await memberWithToken("acme-plain", orgId, []);
    const denied = await list({}, { token: plain.token });
    assert.equal(denied.status, 403);
    const anonymous = await list({}, { token: null });
    assert.equal(anonymous.status, 401);
  });
});

describe("ListEventTypes and ListAggregateTypes", () => {
  it("list every event type idledger writes and its aggregate types, localized", async () => {
    const types = await call("POST", "/admin/v1/events/types/_search", {});
    assert.equal(types.status, 200);
    const machineAdded = types.body.eventTypes.find((t: any) => t.type === "user.machine.added");
    assert.deepEqual(machineAdded.localized, { key: "EventTypes.user.machine.added", localizedMessage: "Technical user added" });
    assert.ok(types.body.eventTypes.some((t: any) => t.type === "org.member.added"));
    const aggregates = await call("POST", "/admin/v1/aggregates/types/_search", {});
    assert.deepEqual(aggregates.body.aggregateTypes.map((t: any) => t.type), ["instance", "org", "user", "webhook", "oidc_session", "key_pair"]);
  });

  it("an AdminService method idledger does not serve answers UNIMPLEMENTED", async () => {
    const response = await call("GET", "/admin/v1/orgs/default");
    assert.equal(response.status, 501);
  });
});
