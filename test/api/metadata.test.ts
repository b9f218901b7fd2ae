import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
const b64 = (text: string) => Buffer.from(text).toString("base64");
const metadata = (userId: string) => `${api}/users/${userId}/metadata`;
const keysOf = (list: { body: any }) => (list.body.result ?? []).map((entry: { key: string }) => entry.key);
const eventsOf = async (userId: string) => (await service.store.readStream(`user-${userId}`)).map((event) => [event.type, event.data]);

describe("SetUserMetadata / GetUserMetadata", () => {
  it("sets a value of bytes that reads back at once, with the details of its event; the user's details move too", async () => {
    const userId = await machine("meta-1");
    const set = await call("POST", `${metadata(userId)}/colour`, { value: b64("blue") });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.details.sequence, "2");

    const read = await call("GET", `${metadata(userId)}/colour`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.metadata, { details: { ...set.body.details, creationDate: set.body.details.changeDate }, key: "colour", value: b64("blue") });
    assert.deepEqual((await call("GET", `${api}/users/${userId}`)).body.user.details, set.body.details);
    assert.deepEqual((await eventsOf(userId)).at(-1), ["user.metadata.set", { key: "colour", value: b64("blue") }]);

    assert.equal((await call("POST", `${metadata(userId)}/colour`, { value: b64("red") })).status, 200);
    assert.equal((await call("GET", `${metadata(userId)}/colour`)).body.metadata.value, b64("red"));
  });

  it("refuses a value the key has already (9, API-mEtnC): a change that changes nothing is not written", async () => {
    const userId = await machine("meta-same");
    await call("POST", `${metadata(userId)}/k`, { value: b64("v") });
    await refused(call("POST", `${metadata(userId)}/k`, { value: b64("v") }), 400, 9, "API-mEtnC");
  });

  it("works for humans, and for keys with any character (a slash escaped in the path)", async () => {
    const human = await call("POST", `${api}/users/human`, { userName: "meta-human", profile: { firstName: "M", lastName: "H" }, email: { email: "m@example.com" } });
    const userId = human.body.userId as string;
    for (const key of ["a/b", "ключ", "with space"]) {
      assert.equal((await call("POST", `${metadata(userId)}/${encodeURIComponent(key)}`, { value: b64(key) })).status, 200, key);
      const read = await call("GET", `${metadata(userId)}/${encodeURIComponent(key)}`);
      assert.equal(read.body.metadata.key, key);
      assert.equal(Buffer.from(read.body.metadata.value, "base64").toString(), key);
    }
  });

  it("refuses unknown, removed and other orgs' users (9, COMMAND-uXHNj); reads of them find nothing (404, QUERY-Rgh32)", async () => {
    const org = (await call("POST", `${api}/orgs`, { name: "Meta Elsewhere" })).body.id as string;
    const elsewhere = await machine("meta-elsewhere", org);
    await call("POST", `${metadata(elsewhere)}/k`, { value: b64("v") }, { orgId: org });
    const removed = await machine("meta-removed");
    await call("POST", `${metadata(removed)}/k`, { value: b64("v") });
    assert.equal((await call("DELETE", `${api}/users/${removed}`)).status, 200);
    for (const userId of ["404404", elsewhere, removed]) {
      await refused(call("POST", `${metadata(userId)}/k`, { value: b64("w") }), 400, 9, "COMMAND-uXHNj");
      await refused(call("POST", `${metadata(userId)}/_bulk`, { metadata: [{ key: "k", value: b64("w") }] }), 400, 9, "COMMAND-uXHNj");
      await refused(call("DELETE", `${metadata(userId)}/k`), 400, 9, "COMMAND-uXHNj");
      const read = await call("GET", `${metadata(userId)}/k`);
      assert.equal(read.status, 404);
      assert.equal(read.body.details[0].id, "QUERY-Rgh32");
      assert.equal((await call("POST", `${metadata(userId)}/_search`, {})).body.result, undefined, "a removed user's metadata is gone from the read model");
    }
    assert.equal((await call("GET", `${metadata(elsewhere)}/k`, undefined, { orgId: org })).status, 200);
  });

  it("nobody sets or removes metadata of a user whose roles they lack (403, API-Esc4l)", async () => {
    const managerId = await machine("meta-manager");
    await call("POST", `${api}/orgs/me/members`, { userId: managerId, roles: ["ORG_USER_MANAGER"] });
    const as = restClient({ url: service.url, adminToken: (await call("POST", `${api}/users/${managerId}/pats`, {})).body.token });
    const ownerId = await machine("meta-owner");
    await call("POST", `${api}/orgs/me/members`, { userId: ownerId, roles: ["ORG_OWNER"] });
    await call("POST", `${metadata(ownerId)}/k`, { value: b64("v") });
    await refused(as("POST", `${metadata(ownerId)}/k`, { value: b64("w") }), 403, 7, "API-Esc4l");
    await refused(as("DELETE", `${metadata(ownerId)}/k`), 403, 7, "API-Esc4l");
    assert.equal((await as("GET", `${metadata(ownerId)}/k`)).status, 200, "reading is no escalation");
  });
});

describe("BulkSetUserMetadata / ListUserMetadata", () => {
  it("sets several keys in one append, one event per changed key, and lists them by key with ZITADEL's paging", async () => {
    const userId = await machine("meta-bulk");
    await call("POST", `${metadata(userId)}/b`, { value: b64("kept") });
    const before = (await eventsOf(userId)).length;
    const bulk = await call("POST", `${metadata(userId)}/_bulk`, {
      metadata: [
        { key: "b", value: b64("kept") },
        { key: "c", value: b64("3") },
        { key: "a", value: b64("first") },
        { key: "a", value: b64("1") },
      ],
    });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    // In the order the keys first appear, each with its last value; "b" is unchanged.
    assert.deepEqual((await eventsOf(userId)).slice(before), [
      ["user.metadata.set", { key: "c", value: b64("3") }],
      ["user.metadata.set", { key: "a", value: b64("1") }],
    ]);
    assert.equal(bulk.body.details.sequence, String(before + 2));

    const list = await call("POST", `${metadata(userId)}/_search`, {});
    assert.equal(list.status, 200);
    assert.equal(list.body.details.totalResult, "3");
    assert.deepEqual(keysOf(list), ["a", "b", "c"]);
    assert.deepEqual(list.body.result[0], (await call("GET", `${metadata(userId)}/a`)).body.metadata);
    const paged = await call("POST", `${metadata(userId)}/_search`, { query: { offset: "1", limit: 1 } });
    assert.deepEqual(keysOf(paged), ["b"]);
    assert.equal(paged.body.details.totalResult, "3");

    await refused(call("POST", `${metadata(userId)}/_bulk`, { metadata: [{ key: "a", value: b64("1") }] }), 400, 9, "API-mEtnC");
    await refused(call("POST", `${metadata(userId)}/_bulk`, { metadata: [] }), 400, 9, "META-9mm2d");
  });

  it("filters by key with ZITADEL's text comparisons, all of them to match; a query of no kind is 3 (METAD-fdg23)", async () => {
    const userId = await machine("meta-filter");
    await call("POST", `${metadata(userId)}/_bulk`, { metadata: ["app.Theme", "app.locale", "billing.plan"].map((key) => ({ key, value: b64(key) })) });
    const search = async (...queries: object[]) => keysOf(await call("POST", `${metadata(userId)}/_search`, { queries }));
    const keyQuery = (key: string, method: string) => ({ keyQuery: { key, method } });
    assert.deepEqual(await search(keyQuery("app.", "TEXT_QUERY_METHOD_STARTS_WITH")), ["app.Theme", "app.locale"]);
    assert.deepEqual(await search(keyQuery("APP.THEME", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")), ["app.Theme"]);
    assert.deepEqual(await search(keyQuery("APP.THEME", "TEXT_QUERY_METHOD_EQUALS")), []);
    assert.deepEqual(await search(keyQuery("an", "TEXT_QUERY_METHOD_CONTAINS")), ["billing.plan"]);
    assert.deepEqual(await search(keyQuery("E", "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE")), ["app.Theme", "app.locale"]);
    assert.deepEqual(await search(keyQuery("app", "TEXT_QUERY_METHOD_STARTS_WITH"), keyQuery("locale", "TEXT_QUERY_METHOD_ENDS_WITH")), ["app.locale"]);
    assert.deepEqual(await search({ keyQuery: { key: "billing.plan" } }), ["billing.plan"], "without a method: EQUALS");

    const noKind = await call("POST", `${metadata(userId)}/_search`, { queries: [{}] });
    assert.equal(noKind.status, 400);
    assert.equal(noKind.body.details[0].id, "METAD-fdg23");
    const tooMany = await call("POST", `${metadata(userId)}/_search`, { queries: Array.from({ length: 21 }, () => keyQuery("a", "TEXT_QUERY_METHOD_CONTAINS")) });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.details[0].id, "API-mEtqS");
  });
});

describe("RemoveUserMetadata / BulkRemoveUserMetadata", () => {
  it("removes one key or several; the read after sees them gone; unknown keys are 404", async () => {
    const userId = await machine("meta-remove");
    await call("POST", `${metadata(userId)}/_bulk`, { metadata: ["a", "b", "c", "d"].map((key) => ({ key, value: b64(key) })) });
    const one = await call("DELETE", `${metadata(userId)}/a`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal((await call("GET", `${metadata(userId)}/a`)).status, 404);
    await refused(call("DELETE", `${metadata(userId)}/a`), 404, 5, "META-ncnw3");

    const several = await call("DELETE", `${metadata(userId)}/_bulk`, { keys: ["b", "c", "b"] });
    assert.equal(several.status, 200, JSON.stringify(several.body));
    assert.deepEqual(keysOf(await call("POST", `${metadata(userId)}/_search`, {})), ["d"]);
    assert.deepEqual((await eventsOf(userId)).slice(-2), [
      ["user.metadata.removed", { key: "b" }],
      ["user.metadata.removed", { key: "c" }],
    ]);
    assert.deepEqual((await call("GET", `${api}/users/${userId}`)).body.user.details, several.body.details);
    await refused(call("DELETE", `${metadata(userId)}/_bulk`, { keys: ["d", "b"] }), 404, 5, "META-2nnds");
    await refused(call("DELETE", `${metadata(userId)}/_bulk`, { keys: [] }), 400, 9, "META-9mm2d");
    assert.equal((await call("GET", `${metadata(userId)}/d`)).status, 200, "a refused bulk removal removes nothing");
  });
});

describe("limits", () => {
  it("one user holds at most 100 keys and 1,000,000 bytes of keys and values (429, code 8, API-mEtlX)", async () => {
    const userId = await machine("meta-full");
    const entries = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: b64("v") }));
    assert.equal((await call("POST", `${metadata(userId)}/_bulk`, { metadata: entries })).status, 200);
    await refused(call("POST", `${metadata(userId)}/one-more`, { value: b64("v") }), 429, 8, "API-mEtlX");
    assert.equal((await call("POST", `${metadata(userId)}/k0`, { value: b64("changed") })).status, 200, "a key that is there may change");
    assert.equal((await call("DELETE", `${metadata(userId)}/k1`)).status, 200);
    assert.equal((await call("POST", `${metadata(userId)}/one-more`, { value: b64("v") })).status, 200, "room again after a removal");

    const heavy = await machine("meta-heavy");
    const big = Buffer.alloc(499_990, 1).toString("base64");
    assert.equal((await call("POST", `${metadata(heavy)}/a`, { value: big })).status, 200);
    assert.equal((await call("POST", `${metadata(heavy)}/b`, { value: big })).status, 200);
    await refused(call("POST", `${metadata(heavy)}/c`, { value: Buffer.alloc(20).toString("base64") }), 429, 8, "API-mEtlX");
  });
});

describe("the audit log", () => {
  it("names the new events with ZITADEL's texts", async () => {
    const userId = await machine("meta-audited");
    await call("POST", `${metadata(userId)}/k`, { value: b64("v") });
    await call("DELETE", `${metadata(userId)}/k`);
    const events = await call("POST", "/admin/v1/events/_search", { aggregateId: userId, asc: true });
    assert.deepEqual(
      events.body.events.slice(1).map((e: any) => [e.type.type, e.type.localized.localizedMessage, e.payload]),
      [
        ["user.metadata.set", "User metadata set", { key: "k", value: b64("v") }],
        ["user.metadata.removed", "User metadata removed", { key: "k" }],
      ],
    );
  });
});
