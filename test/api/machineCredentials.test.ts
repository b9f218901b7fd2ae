import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rebuildProjections } from "../../src/cli/rebuild.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { createQueries } from "../../src/queries/queries.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { openStream } from "../support/sse.js";
import { addMachine, refusedWithNothingAppended } from "../support/steps.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
const api = "/management/v1";

before(async () => {
  // Open streams re-check only on events touching the caller, never by the clock, within a test.
  service = await startTestService({ SSE_RECHECK_MS: "600000" });
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
  return createQueries({ store: service.store, readModel, projector: { waitFor: async () => true }, consistencyTimeoutMs: 0, signingKeys: {} as never });
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

/** A machine user with `roles` in the caller's org and `count` tokens of its own, oldest first. */
async function tokenHolder(userName: string, count: number, roles: string[] = ["ORG_USER_MANAGER"]) {
  const userId = await machine(userName);
  await call("POST", `${api}/orgs/me/members`, { userId, roles });
  const tokens: { tokenId: string; token: string; details: any }[] = [];
  for (let i = 0; i < count; i++) {
    const added = await call("POST", `${api}/users/${userId}/pats`, i === 0 ? { expirationDate: "2099-01-02T03:04:05Z" } : {});
    assert.equal(added.status, 200, JSON.stringify(added.body));
    tokens.push(added.body);
  }
  return { userId, tokens };
}
const as = (token: string) => restClient({ url: service.url, adminToken: token });

describe("ListPersonalAccessTokens / GetPersonalAccessTokenByIDs", () => {
  it("lists a user's tokens oldest first with ZITADEL's paging, each with the details of its creation, never a token or its hash", async () => {
    const { userId, tokens } = await tokenHolder("listed-tokens", 3);
    const listed = await call("POST", `${api}/users/${userId}/pats/_search`, {});
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.details.totalResult, "3");
    assert.match(listed.body.details.processedSequence, /^\d+$/);
    assert.deepEqual(
      listed.body.result.map((t: any) => t.id),
      tokens.map((t) => t.tokenId),
    );
    const [first] = listed.body.result;
    assert.deepEqual(first, {
      id: tokens[0]!.tokenId,
      // The token's own details: created and last changed by its added event, as ZITADEL's projection has them.
      details: { ...tokens[0]!.details, creationDate: tokens[0]!.details.changeDate },
      expirationDate: "2099-01-02T03:04:05Z",
      scopes: ["openid"],
    });
    assert.equal(listed.body.result[1].expirationDate, "9999-12-31T23:59:59Z");

    const paged = await call("POST", `${api}/users/${userId}/pats/_search`, { query: { offset: "1", limit: 1, asc: true } });
    assert.deepEqual(paged.body.result.map((t: any) => t.id), [tokens[1]!.tokenId]);
    assert.equal(paged.body.details.totalResult, "3");
    const beyond = await call("POST", `${api}/users/${userId}/pats/_search`, { query: { offset: "18446744073709551615" } });
    assert.equal(beyond.status, 200);
    assert.equal(beyond.body.result, undefined);

    const got = await call("GET", `${api}/users/${userId}/pats/${tokens[2]!.tokenId}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.token, listed.body.result[2]);

    const hashes = (await service.store.readStream(`user-${userId}`)).flatMap((e) => (e.type === "user.pat.added" ? [(e.data as { tokenHash: string }).tokenHash] : []));
    for (const answer of [listed, got]) {
      const text = JSON.stringify(answer.body);
      for (const value of [...tokens.map((t) => t.token), ...hashes.map((h) => h.slice("sha256:".length))]) assert.ok(!text.includes(value));
    }
  });

  it("does not find a token of another user or another org, nor an unknown one (404, QUERY-fRunu); lists nothing for them", async () => {
    const { userId, tokens } = await tokenHolder("owner-of-token", 1);
    const other = await machine("not-the-owner");
    const org = (await call("POST", `${api}/orgs`, { name: "Token Elsewhere" })).body.id as string;
    for (const [path, options] of [
      [`/users/${other}/pats/${tokens[0]!.tokenId}`, {}],
      [`/users/${userId}/pats/404404`, {}],
      [`/users/${userId}/pats/${tokens[0]!.tokenId}`, { orgId: org }],
    ] as const) {
      const response = await call("GET", `${api}${path}`, undefined, options);
      assert.equal(response.status, 404, path);
      assert.equal(response.body.details[0].id, "QUERY-fRunu");
    }
    const elsewhere = await call("POST", `${api}/users/${userId}/pats/_search`, {}, { orgId: org });
    assert.equal(elsewhere.status, 200);
    // protojson leaves a zero count and an empty list out.
    assert.equal(elsewhere.body.details.totalResult, undefined);
    assert.equal(elsewhere.body.result, undefined);
  });
});

describe("RemovePersonalAccessToken", () => {
  it("refuses the removed token on the very next request; the user's other tokens keep working", async () => {
    const { userId, tokens } = await tokenHolder("token-remover", 3);
    const [first, second, third] = tokens as [(typeof tokens)[number], (typeof tokens)[number], (typeof tokens)[number]];
    for (const { token } of tokens) assert.equal((await as(token)("GET", `${api}/users/${userId}`)).status, 200);

    const removed = await call("DELETE", `${api}/users/${userId}/pats/${second.tokenId}`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.details.sequence, "5");
    const refusedNow = await as(second.token)("GET", `${api}/users/${userId}`);
    assert.equal(refusedNow.status, 401);
    assert.equal(refusedNow.body.details[0].id, "AUTH-7fs1e");
    assert.equal((await as(first.token)("GET", `${api}/users/${userId}`)).status, 200);
    assert.equal((await as(third.token)("GET", `${api}/users/${userId}`)).status, 200);

    const listed = await call("POST", `${api}/users/${userId}/pats/_search`, {});
    assert.deepEqual(listed.body.result.map((t: any) => t.id), [first.tokenId, third.tokenId]);
    assert.equal((await call("GET", `${api}/users/${userId}/pats/${second.tokenId}`)).status, 404);
    assert.deepEqual((await call("GET", `${api}/users/${userId}`)).body.user.details, removed.body.details);
    await refused(call("DELETE", `${api}/users/${userId}/pats/${second.tokenId}`), 404, 5, "COMMAND-4m77G");
  });

  it("answers 404 (COMMAND-4m77G) for an unknown token, another user's, another org's, or one of a removed user", async () => {
    const { userId, tokens } = await tokenHolder("token-keeper", 1);
    const other = await machine("token-stranger");
    const org = (await call("POST", `${api}/orgs`, { name: "Remove Elsewhere" })).body.id as string;
    await refused(call("DELETE", `${api}/users/${userId}/pats/404404`), 404, 5, "COMMAND-4m77G");
    await refused(call("DELETE", `${api}/users/${other}/pats/${tokens[0]!.tokenId}`), 404, 5, "COMMAND-4m77G");
    await refused(call("DELETE", `${api}/users/${userId}/pats/${tokens[0]!.tokenId}`, undefined, { orgId: org }), 404, 5, "COMMAND-4m77G");
    await refused(call("DELETE", `${api}/users/404404/pats/${tokens[0]!.tokenId}`), 404, 5, "COMMAND-4m77G");
    assert.equal((await call("DELETE", `${api}/users/${userId}`)).status, 200);
    await refused(call("DELETE", `${api}/users/${userId}/pats/${tokens[0]!.tokenId}`), 404, 5, "COMMAND-4m77G");
    assert.equal((await call("POST", `${api}/users/${userId}/pats/_search`, {})).body.details.totalResult, undefined);
    assert.equal((await as(tokens[0]!.token)("GET", `${api}/users/${other}`)).status, 401);
  });

  it("ends an event stream opened with the removed token at the removal, not one opened with another token of the user", async () => {
    const { userId, tokens } = await tokenHolder("stream-token-holder", 2, ["ORG_OWNER"]);
    const doomed = await openStream(service.url, tokens[0]!.token);
    const survivor = await openStream(service.url, tokens[1]!.token);
    assert.equal(doomed.response.status, 200);
    assert.equal(survivor.response.status, 200);
    await machine("seen-by-both");
    await doomed.until(1);
    await survivor.until(1);

    assert.equal((await call("DELETE", `${api}/users/${userId}/pats/${tokens[0]!.tokenId}`)).status, 200);
    const ended = await Promise.race([doomed.ended.then(() => "ended"), sleep(3000).then(() => "still open")]);
    assert.equal(ended, "ended");
    await machine("after-token-removal");
    const seen = await survivor.until(survivor.frames.length + 1);
    assert.ok(seen.some((frame) => frame.data.data.userName === "after-token-removal"), "the other token's stream goes on");
    assert.ok(doomed.frames.every((frame) => frame.data.data?.userName !== "after-token-removal"));
    const ownRemoval = (frame: { event: string; data: any }) => frame.event === "user.pat.removed" && frame.data.aggregate.id === userId;
    assert.ok(!doomed.frames.some(ownRemoval), "the event that revoked access is not delivered either");
    assert.ok(survivor.frames.some(ownRemoval), "while the other token's stream sees it");
    survivor.close();
  });

  it("nobody removes a token of a user whose roles they lack (403, API-Esc4l)", async () => {
    const manager = await tokenHolder("token-manager", 1);
    const owner = await tokenHolder("token-owner", 1, ["ORG_OWNER"]);
    const response = as(manager.tokens[0]!.token)("DELETE", `${api}/users/${owner.userId}/pats/${owner.tokens[0]!.tokenId}`);
    await refused(response, 403, 7, "API-Esc4l");
    assert.equal((await as(owner.tokens[0]!.token)("GET", `${api}/users/${owner.userId}`)).status, 200);
  });
});
