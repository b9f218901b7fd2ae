import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { addMachine as addTestMachine, API_SCOPE, basic, generateSecret, postForm } from "../support/oauth.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { openStream } from "../support/sse.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService({ SSE_RECHECK_MS: "200", SSE_MAX_STREAMS: "5", SSE_MAX_STREAMS_PER_TOKEN: "2", SSE_MAX_STREAMS_PER_ORG: "3" });
  call = restClient(service);
});
after(() => service.dispose());

/** An org owner of the default org, or of `orgId` (it may read the org's events), with a token expiring at `expiresAt`. */
async function orgOwner(userName: string, expiresAt?: Date, orgId?: string) {
  const inOrg = orgId ? { orgId } : {};
  const created = await call("POST", "/management/v1/users/machine", { userName, name: userName }, inOrg);
  const userId = created.body.userId as string;
  assert.equal((await call("POST", "/management/v1/orgs/me/members", { userId, roles: ["ORG_OWNER"] }, inOrg)).status, 200);
  const body = expiresAt ? { expirationDate: expiresAt.toISOString() } : {};
  const pat = await call("POST", `/management/v1/users/${userId}/pats`, body, inOrg);
  assert.equal(pat.status, 200);
  return { userId, token: pat.body.token as string };
}

const addMachine = (userName: string) => call("POST", "/management/v1/users/machine", { userName, name: userName });

describe("an open event stream stays authorized as long as it lasts", () => {
  it("ends when its token expires, even with nothing to deliver, and delivers nothing written after", async () => {
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 4000);
    const owner = await orgOwner("expiring-owner", expiresAt);
    const stream = await openStream(service.url, owner.token);
    assert.equal(stream.response.status, 200);
    await addMachine("before-expiry");
    await stream.untilFrame((frame) => frame.data.data.userName === "before-expiry");

    const ended = await Promise.race([stream.ended.then(() => "ended"), sleep(expiresAt.getTime() - Date.now() + 3000).then(() => "still open")]);
    assert.equal(ended, "ended");
    await addMachine("after-expiry");
    await sleep(300);
    assert.ok(stream.frames.every((frame) => frame.data.data.userName !== "after-expiry"));
    // And the token itself is refused now.
    assert.equal((await openStream(service.url, owner.token)).response.status, 401);
  });
});

describe("limits on open streams", () => {
  it("answers 429 (code 8, API-sTr3m) beyond the per-token limit, and frees the slot when a stream closes", async () => {
    const owner = await orgOwner("busy-owner");
    const first = await openStream(service.url, owner.token);
    const second = await openStream(service.url, owner.token);
    assert.equal(first.response.status, 200);
    assert.equal(second.response.status, 200);
    const third = await openStream(service.url, owner.token);
    assert.equal(third.response.status, 429);
    const body = await third.response.json();
    assert.equal(body.code, 8);
    assert.equal(body.details[0].id, "API-sTr3m");

    first.close();
    await sleep(200);
    const again = await openStream(service.url, owner.token);
    assert.equal(again.response.status, 200);
    second.close();
    again.close();
  });

  it("answers 429 beyond the limit for all streams together, whichever tokens and orgs they use", async () => {
    const other = (await call("POST", "/management/v1/orgs", { name: "Crowded Org" })).body.id as string;
    const streams = [];
    for (const token of [(await orgOwner("crowd-0")).token, (await orgOwner("crowd-1")).token, service.adminToken, service.adminToken, (await orgOwner("crowd-2", undefined, other)).token]) {
      const stream = await openStream(service.url, token);
      assert.equal(stream.response.status, 200);
      streams.push(stream);
    }
    // A fresh token of an org with room left: only the limit for all is reached.
    const latecomer = (await orgOwner("crowd-3", undefined, other)).token;
    assert.equal((await openStream(service.url, latecomer)).response.status, 429);
    for (const stream of streams) stream.close();
    await sleep(200);
    const admitted = await openStream(service.url, latecomer);
    assert.equal(admitted.response.status, 200);
    admitted.close();
  });

  it("answers 429 beyond the limit per org, however many of its users' tokens are used, and leaves room for other orgs and the instance", async () => {
    await sleep(200);
    const other = (await call("POST", "/management/v1/orgs", { name: "Quiet Org" })).body.id as string;
    const greedy = [await orgOwner("greedy-0"), await orgOwner("greedy-1")];
    const streams = [
      await openStream(service.url, greedy[0]!.token),
      await openStream(service.url, greedy[0]!.token),
      await openStream(service.url, greedy[1]!.token),
    ];
    for (const stream of streams) assert.equal(stream.response.status, 200);
    const next = await orgOwner("greedy-2");
    const refused = await openStream(service.url, next.token);
    assert.equal(refused.response.status, 429);
    assert.equal((await refused.response.json()).details[0].id, "API-sTr3m");

    const admin = await openStream(service.url, service.adminToken);
    const quiet = await openStream(service.url, (await orgOwner("quiet-0", undefined, other)).token);
    assert.equal(admin.response.status, 200);
    assert.equal(quiet.response.status, 200);

    streams[0]!.close();
    await sleep(200);
    const admitted = await openStream(service.url, next.token);
    assert.equal(admitted.response.status, 200);
    for (const stream of [...streams, admin, quiet, admitted]) stream.close();
  });
});

describe("an event stream opened with an OAuth access token", () => {
  // Rechecks far apart, so only the revocation's own event can end the stream in time.
  let slow: TestService;
  before(async () => (slow = await startTestService({ SSE_RECHECK_MS: "600000" })));
  after(() => slow.dispose());

  it("ends as soon as that token is revoked at /oauth/v2/revoke", async () => {
    const admin = restClient(slow);
    const machine = await addTestMachine(admin, "oauth-streamer");
    assert.equal((await admin("POST", "/management/v1/orgs/me/members", { userId: machine.userId, roles: ["ORG_OWNER"] })).status, 200);
    const secret = await generateSecret(admin, machine);
    const issued = await postForm(`${slow.url}/oauth/v2/token`, { grant_type: "client_credentials", scope: `openid ${API_SCOPE}` }, basic(machine.userName, secret));
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const token = issued.body.access_token as string;

    const stream = await openStream(slow.url, token);
    assert.equal(stream.response.status, 200);
    await admin("POST", "/management/v1/users/machine", { userName: "seen-by-oauth", name: "S" });
    await stream.untilFrame((frame) => frame.data.data.userName === "seen-by-oauth");

    assert.equal((await postForm(`${slow.url}/oauth/v2/revoke`, { token }, basic(machine.userName, secret))).status, 200);
    const ended = await Promise.race([stream.ended.then(() => "ended"), sleep(3000).then(() => "still open")]);
    assert.equal(ended, "ended");
    stream.close();
  });
});
