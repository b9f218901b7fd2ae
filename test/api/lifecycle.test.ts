import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { addMachine, refusedWithNothingAppended } from "../support/steps.js";
import { openStream } from "../support/sse.js";

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
const human = async (userName: string, extra: Record<string, unknown> = {}) => {
  const created = await call("POST", `${api}/users/human`, {
    userName,
    profile: { firstName: "Ini", lastName: "Tial" },
    email: { email: `${userName}@example.com` },
    ...extra,
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.userId as string;
};
const stateOf = async (userId: string) => (await call("GET", `${api}/users/${userId}`)).body.user.state as string;
const refused = (response: Promise<{ status: number; body: any }>, status: number, code: number, id: string) =>
  refusedWithNothingAppended(service.store, response, [status, code, id]);

describe("DeactivateUser / ReactivateUser", () => {
  it("moves ACTIVE to INACTIVE and back, each once, with details from the event", async () => {
    const userId = await machine("deactivated-1");
    const deactivated = await call("POST", `${api}/users/${userId}/_deactivate`, {});
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body.details.sequence, "2");
    const read = await call("GET", `${api}/users/${userId}`);
    assert.equal(read.body.user.state, "USER_STATE_INACTIVE");
    assert.deepEqual(read.body.user.details, deactivated.body.details);
    await refused(call("POST", `${api}/users/${userId}/_deactivate`, {}), 400, 9, "COMMAND-5M0sf");

    assert.equal((await call("POST", `${api}/users/${userId}/_reactivate`, {})).status, 200);
    assert.equal(await stateOf(userId), "USER_STATE_ACTIVE");
    await refused(call("POST", `${api}/users/${userId}/_reactivate`, {}), 400, 9, "COMMAND-6M0sf");
  });

  it("refuses to deactivate an INITIAL user (9, COMMAND-ke0fw)", async () => {
    const userId = await human("initial-1");
    assert.equal(await stateOf(userId), "USER_STATE_INITIAL");
    await refused(call("POST", `${api}/users/${userId}/_deactivate`, {}), 400, 9, "COMMAND-ke0fw");
  });
});

describe("LockUser / UnlockUser", () => {
  it("locks ACTIVE and INITIAL users; unlocking gives back what was there before", async () => {
    const active = await machine("locked-1");
    assert.equal((await call("POST", `${api}/users/${active}/_lock`, {})).status, 200);
    assert.equal(await stateOf(active), "USER_STATE_LOCKED");
    await refused(call("POST", `${api}/users/${active}/_lock`, {}), 400, 9, "COMMAND-3NN8v");
    assert.equal((await call("POST", `${api}/users/${active}/_unlock`, {})).status, 200);
    assert.equal(await stateOf(active), "USER_STATE_ACTIVE");
    await refused(call("POST", `${api}/users/${active}/_unlock`, {}), 400, 9, "COMMAND-4M0ds");

    const initial = await human("initial-locked");
    assert.equal((await call("POST", `${api}/users/${initial}/_lock`, {})).status, 200);
    assert.equal(await stateOf(initial), "USER_STATE_LOCKED");
    assert.equal((await call("POST", `${api}/users/${initial}/_unlock`, {})).status, 200);
    assert.equal(await stateOf(initial), "USER_STATE_INITIAL");
  });

  it("a locked user can still be deactivated; a deactivated one cannot be locked", async () => {
    const userId = await machine("locked-then-deactivated");
    await call("POST", `${api}/users/${userId}/_lock`, {});
    assert.equal((await call("POST", `${api}/users/${userId}/_deactivate`, {})).status, 200);
    await refused(call("POST", `${api}/users/${userId}/_lock`, {}), 400, 9, "COMMAND-3NN8v");
  });
});

describe("unknown users and users of other orgs", () => {
  it("answers each command with its NotFound id, whether the user does not exist or belongs to another org", async () => {
    const org = (await call("POST", `${api}/orgs`, { name: "Elsewhere" })).body.id as string;
    const elsewhere = await machine("elsewhere-1", org);
    for (const userId of ["404404", elsewhere]) {
      await refused(call("POST", `${api}/users/${userId}/_deactivate`, {}), 404, 5, "COMMAND-3M9ds");
      await refused(call("POST", `${api}/users/${userId}/_reactivate`, {}), 404, 5, "COMMAND-4M0sd");
      await refused(call("POST", `${api}/users/${userId}/_lock`, {}), 404, 5, "COMMAND-5M9fs");
      await refused(call("POST", `${api}/users/${userId}/_unlock`, {}), 404, 5, "COMMAND-M0dos");
      await refused(call("DELETE", `${api}/users/${userId}`), 404, 5, "COMMAND-m9od");
      await refused(call("PUT", `${api}/users/${userId}/username`, { userName: "x-new" }), 404, 5, "COMMAND-5N9ds");
    }
  });
});

describe("credentials follow the user's state", () => {
  it("a locked, deactivated or removed user's token is refused on the very next request", async () => {
    const userId = await machine("token-holder");
    assert.equal((await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_USER_MANAGER"] })).status, 200);
    const pat = await call("POST", `${api}/users/${userId}/pats`, {});
    const as = restClient({ url: service.url, adminToken: pat.body.token });
    const works = async () => (await as("GET", `${api}/users/${userId}`)).status;
    assert.equal(await works(), 200);

    await call("POST", `${api}/users/${userId}/_lock`, {});
    assert.equal(await works(), 401);
    await call("POST", `${api}/users/${userId}/_unlock`, {});
    assert.equal(await works(), 200);
    await call("POST", `${api}/users/${userId}/_deactivate`, {});
    assert.equal(await works(), 401);
    await call("POST", `${api}/users/${userId}/_reactivate`, {});
    assert.equal(await works(), 200);
    await call("DELETE", `${api}/users/${userId}`);
    const gone = await as("GET", `${api}/users/${userId}`);
    assert.equal(gone.status, 401);
    assert.equal(gone.body.details[0].id, "AUTH-7fs1e");
  });

  it("ends the event stream of a user who is locked, at the lock event, not at the next periodic check", async () => {
    const userId = await machine("stream-watcher");
    await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_OWNER"] });
    const pat = await call("POST", `${api}/users/${userId}/pats`, {});
    const stream = await openStream(service.url, pat.body.token);
    assert.equal(stream.response.status, 200);
    await machine("seen-by-watcher");
    await stream.untilFrame((frame) => frame.data.data.userName === "seen-by-watcher");
    await call("POST", `${api}/users/${userId}/_lock`, {});
    const ended = await Promise.race([stream.ended.then(() => "ended"), sleep(3000).then(() => "still open")]);
    assert.equal(ended, "ended");
    await machine("after-lock");
    assert.ok(stream.frames.every((frame) => frame.data.data.userName !== "after-lock"));
    const ownLock = (frame: { event: string; data: any }) => frame.event === "user.locked" && frame.data.aggregate.id === userId;
    assert.ok(!stream.frames.some(ownLock), "the event that revoked access is not delivered either");
  });

  it("nobody locks or removes a user whose roles they lack (403, API-Esc4l)", async () => {
    const managerId = await machine("lifecycle-manager");
    await call("POST", `${api}/orgs/me/members`, { userId: managerId, roles: ["ORG_USER_MANAGER"] });
    const pat = await call("POST", `${api}/users/${managerId}/pats`, {});
    const as = restClient({ url: service.url, adminToken: pat.body.token });
    const ownerId = await machine("lifecycle-owner");
    await call("POST", `${api}/orgs/me/members`, { userId: ownerId, roles: ["ORG_OWNER"] });
    for (const [method, path] of [["POST", `/_lock`], ["POST", `/_deactivate`], ["DELETE", ""]] as const) {
      const response = await as(method, `${api}/users/${ownerId}${path}`, method === "POST" ? {} : undefined);
      assert.equal(response.status, 403, path);
      assert.equal(response.body.details[0].id, "API-Esc4l");
    }
    assert.equal(await stateOf(ownerId), "USER_STATE_ACTIVE");
    const plain = await machine("lifecycle-plain");
    assert.equal((await as("POST", `${api}/users/${plain}/_lock`, {})).status, 200);
  });
});

describe("RemoveUser", () => {
  it("is gone everywhere at once; its userName is free again, its id never", async () => {
    const userId = await machine("removed-1");
    const org = (await call("POST", `${api}/orgs`, { name: "Removal Org" })).body.id as string;
    await call("POST", `${api}/orgs/me/members`, { userId, roles: ["ORG_USER_MANAGER"] }, { orgId: org });
    const removed = await call("DELETE", `${api}/users/${userId}`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.details.sequence, "2");

    assert.equal((await call("GET", `${api}/users/${userId}`)).status, 404);
    await refused(call("DELETE", `${api}/users/${userId}`), 404, 5, "COMMAND-m9od");
    await refused(call("PUT", `${api}/users/${userId}/machine`, { name: "Back" }), 404, 5, "COMMAND-5M0od");
    await refused(call("POST", `${api}/users/machine`, { userId, userName: "removed-1-again", name: "R" }), 400, 9, "COMMAND-k2una");
    assert.equal((await call("POST", `${api}/users/machine`, { userName: "REMOVED-1", name: "Successor" })).status, 200);

    // Its membership went with it: a cascade event on the org's stream.
    const orgEvents = await service.store.readStream(`org-${org}`);
    assert.deepEqual(orgEvents.at(-1)?.type, "org.member.cascade.removed");
    assert.deepEqual(orgEvents.at(-1)?.data, { userId });
    assert.equal(orgEvents.at(-1)?.metadata.causationId, (await service.store.readStream(`user-${userId}`)).at(-1)?.id);
  });
});

describe("UpdateUserName", () => {
  it("renames, frees the old name at once, refuses the same name and a taken one", async () => {
    const userId = await machine("old-name");
    const renamed = await call("PUT", `${api}/users/${userId}/username`, { userName: "new-name" });
    assert.equal(renamed.status, 200);
    const read = (await call("GET", `${api}/users/${userId}`)).body.user;
    assert.equal(read.userName, "new-name");
    assert.deepEqual(read.loginNames, ["new-name"]);
    assert.equal((await call("POST", `${api}/users/machine`, { userName: "old-name", name: "Heir" })).status, 200);

    await refused(call("PUT", `${api}/users/${userId}/username`, { userName: "new-name" }), 400, 9, "COMMAND-6m9gs");
    await refused(call("PUT", `${api}/users/${userId}/username`, { userName: "OLD-NAME" }), 409, 6, "V3-DKcYh");
    await refused(call("PUT", `${api}/users/${userId}/username`, { userName: "   " }), 400, 3, "COMMAND-2N9fs");
    assert.equal((await call("PUT", `${api}/users/${userId}/username`, { userName: "New-Name" })).status, 200, "a change of case is a change");
    assert.equal((await call("PUT", `${api}/users/${userId}/username`, {})).status, 400);
  });

  it("25 racing renames of 25 users to one name: exactly one wins", async () => {
    const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => machine(`racer-${i}`)));
    const results = await Promise.all(ids.map((id) => call("PUT", `${api}/users/${id}/username`, { userName: "the-one-name" })));
    const statuses = results.map((result) => result.status).sort();
    assert.deepEqual(statuses, [200, ...Array(24).fill(409)]);
  });
});
