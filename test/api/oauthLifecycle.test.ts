import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { addKey, addMachine, API_SCOPE, assertion, basic, generateSecret, postForm } from "../support/oauth.js";

/** OAuth credentials follow the user's state: lock, deactivation and removal take effect on the next request. */
let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

const token = (clientId: string, secret: string) =>
  postForm(`${service.url}/oauth/v2/token`, { grant_type: "client_credentials", scope: `openid ${API_SCOPE}` }, basic(clientId, secret));
const introspect = (clientId: string, secret: string, accessToken: string) =>
  postForm(`${service.url}/oauth/v2/introspect`, { token: accessToken }, basic(clientId, secret));

describe("a machine user that is no longer ACTIVE", () => {
  for (const [state, path] of [["locked", "_lock"], ["deactivated", "_deactivate"]] as const) {
    it(`${state}: no new token, and its token is inactive to introspection and refused by the API on the next request`, async () => {
      const machine = await addMachine(call, `oauth-${state}`);
      const secret = await generateSecret(call, machine);
      await call("POST", "/management/v1/orgs/me/members", { userId: machine.userId, roles: ["ORG_USER_MANAGER"] });
      const introspector = await addMachine(call, `introspector-${state}`);
      const introspectorSecret = await generateSecret(call, introspector);

      const issued = await token(machine.userName, secret);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const accessToken = issued.body.access_token as string;
      const asMachine = restClient({ url: service.url, adminToken: accessToken });
      assert.equal((await asMachine("GET", `/management/v1/users/${machine.userId}`)).status, 200);
      assert.equal((await introspect(introspector.userName, introspectorSecret, accessToken)).body.active, true);

      assert.equal((await call("POST", `/management/v1/users/${machine.userId}/${path}`, {})).status, 200);
      const refused = await token(machine.userName, secret);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, "invalid_request");
      assert.match(refused.body.error_description, /Errors\.User\.NotActive/);
      assert.deepEqual((await introspect(introspector.userName, introspectorSecret, accessToken)).body, { active: false });
      const api = await asMachine("GET", `/management/v1/users/${machine.userId}`);
      assert.equal(api.status, 401);
      assert.equal(api.body.details[0].id, "AUTH-7fs1e");
    });
  }

  it("removed: its secret and its keys name no client any more, and its tokens are refused", async () => {
    const machine = await addMachine(call, "oauth-removed");
    const secret = await generateSecret(call, machine);
    const keyFile = await addKey(call, machine);
    await call("POST", "/management/v1/orgs/me/members", { userId: machine.userId, roles: ["ORG_USER_MANAGER"] });
    const issued = await token(machine.userName, secret);
    const asMachine = restClient({ url: service.url, adminToken: issued.body.access_token });
    assert.equal((await asMachine("GET", `/management/v1/users/${machine.userId}`)).status, 200);

    assert.equal((await call("DELETE", `/management/v1/users/${machine.userId}`)).status, 200);
    const bySecret = await token(machine.userName, secret);
    assert.equal(bySecret.status, 400);
    assert.equal(bySecret.body.error, "invalid_client");
    const byKey = await postForm(`${service.url}/oauth/v2/token`, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await assertion(keyFile, service.url),
      scope: API_SCOPE,
    });
    // ZITADEL's answer to an assertion of a user it cannot find (src/oauth/assertion.ts).
    assert.equal(byKey.status, 404);
    assert.equal(byKey.body.error, "invalid_request");
    assert.equal(byKey.body.access_token, undefined);
    assert.equal((await asMachine("GET", `/management/v1/users/${machine.userId}`)).status, 401);
  });
});
