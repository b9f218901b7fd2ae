import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRemoteJWKSet, decodeProtectedHeader, importPKCS8, jwtVerify } from "jose";
import * as client from "openid-client";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { addKey, addMachine, API_SCOPE, basic, generateSecret, postForm, type TestMachine } from "../support/oauth.js";

/**
 * Introspection, userinfo and revocation through openid-client; revocation and a changed key
 * reaching the API on the next request; keys and tokens across a restart and a rotation; and no
 * token, secret or private key at rest.
 */
let dataDir: string;
let service: TestService;
let call: ReturnType<typeof restClient>;
let caller: TestMachine;
let callerSecret: string;
let bearer: TestMachine;
let bearerSecret: string;
let jwtUser: TestMachine;
let jwtSecret: string;
const insecure = { execute: [client.allowInsecureRequests] };
const root = fileURLToPath(new URL("../..", import.meta.url));

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "idledger-oauth-"));
  service = await startTestService({}, dataDir);
  call = restClient(service);
  caller = await addMachine(call, "api-app");
  callerSecret = await generateSecret(call, caller);
  bearer = await addMachine(call, "sess-bearer");
  bearerSecret = await generateSecret(call, bearer);
  jwtUser = await addMachine(call, "sess-jwt", { jwt: true });
  jwtSecret = await generateSecret(call, jwtUser);
  for (const machine of [bearer, jwtUser]) await call("POST", "/management/v1/orgs/me/members", { userId: machine.userId, roles: ["ORG_USER_MANAGER"] });
});
after(async () => {
  await service.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

const configFor = (machine: TestMachine, secret: string) => client.discovery(new URL(service.url), machine.userName, secret, undefined, insecure);
const tokenFor = async (machine: TestMachine, secret: string, scope = `openid profile ${API_SCOPE}`) =>
  (await client.clientCredentialsGrant(await configFor(machine, secret), { scope })).access_token;
const introspect = async (token: string) => client.tokenIntrospection(await configFor(caller, callerSecret), token);

describe("introspection (openid-client)", () => {
  it("describes an active opaque and JWT token with RFC 7662's fields and ZITADEL's claims", async () => {
    for (const [machine, secret] of [
      [bearer, bearerSecret],
      [jwtUser, jwtSecret],
    ] as const) {
      const token = await tokenFor(machine, secret, `profile ${API_SCOPE} urn:zitadel:iam:user:resourceowner`);
      const info = await introspect(token);
      assert.equal(info.active, true);
      assert.equal(info.sub, machine.userId);
      assert.equal(info.client_id, machine.userName);
      assert.equal(info.token_type, "Bearer");
      assert.equal(info.iss, service.url);
      assert.equal(info.scope, `profile ${API_SCOPE} urn:zitadel:iam:user:resourceowner`);
      assert.equal(info.exp! - info.iat!, 43200);
      assert.equal(info.username, machine.userName);
      assert.equal(info.preferred_username, machine.userName);
      assert.equal(info.name, `Machine ${machine.userName}`);
      assert.equal(info["urn:zitadel:iam:user:resourceowner:id"], machine.resourceOwner);
      assert.ok((info.aud as string[]).includes(machine.userName));
    }
  });

  it("says active: false for unknown, forged and foreign tokens", async () => {
    const token = await tokenFor(bearer, bearerSecret);
    const [id] = token.split(".");
    for (const unknown of ["nope", `${id}.${"A".repeat(43)}`, token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")]) {
      assert.deepEqual(await introspect(unknown), { active: false });
    }
    const org = await call("POST", "/management/v1/orgs", { name: "Foreign" });
    const stranger = await addMachine(call, "stranger-app", { orgId: org.body.id });
    const strangerSecret = await generateSecret(call, stranger, org.body.id);
    const seen = await client.tokenIntrospection(await configFor(stranger, strangerSecret), token);
    assert.deepEqual(seen, { active: false }, "a caller sees only its own org's tokens");
  });

  it("authenticates the caller by private_key_jwt too, and refuses a wrong or missing one", async () => {
    const file = await addKey(call, caller);
    const pkcs8 = createPrivateKey(file.key).export({ type: "pkcs8", format: "pem" }).toString();
    const key = await importPKCS8(pkcs8, "RS256");
    const config = await client.discovery(new URL(service.url), caller.userId, undefined, client.PrivateKeyJwt({ key, kid: file.keyId }), insecure);
    const token = await tokenFor(bearer, bearerSecret);
    assert.equal((await client.tokenIntrospection(config, token)).active, true);

    const url = `${service.url}/oauth/v2/introspect`;
    const wrong = await postForm(url, { token }, basic(caller.userName, "wrong"));
    assert.deepEqual([wrong.status, wrong.body], [400, { error: "unauthorized_client" }]);
    const none = await postForm(url, { token });
    assert.deepEqual([none.status, none.body], [400, { error: "invalid_request", error_description: "client_id or client_assertion must be provided" }]);
    const idOnly = await postForm(url, { token, client_id: caller.userName });
    assert.deepEqual([idOnly.status, idOnly.body], [400, { error: "invalid_client", error_description: "client must be authenticated" }]);
    const noToken = await postForm(url, {}, basic(caller.userName, callerSecret));
    assert.deepEqual([noToken.status, noToken.body], [400, { error: "invalid_request", error_description: "token missing" }]);
  });
});

describe("userinfo (openid-client)", () => {
  it("answers the user's claims for its scope, and 401 without a valid token", async () => {
    const token = await tokenFor(bearer, bearerSecret);
    const info = await client.fetchUserInfo(await configFor(bearer, bearerSecret), token, bearer.userId);
    assert.equal(info.preferred_username, bearer.userName);
    assert.equal(typeof info.updated_at, "number");
    const missing = await fetch(`${service.url}/oidc/v1/userinfo`);
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { error: "invalid_request", error_description: "access token missing" });
    const invalid = await fetch(`${service.url}/oidc/v1/userinfo`, { headers: { authorization: "Bearer 1.nope" } });
    assert.equal(invalid.status, 401);
    assert.equal(invalid.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    assert.deepEqual(await invalid.json(), { error: "access_denied", error_description: "access token invalid" });
  });
});

describe("revocation (openid-client)", () => {
  it("revokes an opaque and a JWT token: introspection, userinfo and the API refuse it on the next request", async () => {
    for (const [machine, secret] of [
      [bearer, bearerSecret],
      [jwtUser, jwtSecret],
    ] as const) {
      const config = await configFor(machine, secret);
      const token = await tokenFor(machine, secret);
      assert.equal((await call("GET", `/management/v1/users/${machine.userId}`, undefined, { token })).status, 200);
      await client.tokenRevocation(config, token);
      assert.deepEqual(await introspect(token), { active: false });
      assert.equal((await fetch(`${service.url}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
      const refused = await call("GET", `/management/v1/users/${machine.userId}`, undefined, { token });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.details[0].id, "AUTH-7fs1e");
      await client.tokenRevocation(config, token); // again: 200, as RFC 7009 says
      const events = await service.store.readStream(`oidc_session-${(await sessionOf(machine)).stream.slice("oidc_session-".length)}`);
      assert.equal(events.at(-1)!.type, "oidc_session.access_token.revoked");
    }
  });

  it("refuses to revoke another user's token (403) and ignores unknown tokens (200)", async () => {
    const token = await tokenFor(bearer, bearerSecret);
    const url = `${service.url}/oauth/v2/revoke`;
    const foreign = await postForm(url, { token }, basic(caller.userName, callerSecret));
    assert.deepEqual([foreign.status, foreign.body], [403, { error: "invalid_request", error_description: "Errors.OIDCSession.InvalidClient" }]);
    assert.equal((await introspect(token)).active, true);
    const unknown = await postForm(url, { token: "1.unknown" }, basic(bearer.userName, bearerSecret));
    assert.equal(unknown.status, 200);
  });

  it("refuses new tokens for a removed key, while a secret keeps working", async () => {
    const file = await addKey(call, bearer);
    await call("DELETE", `/management/v1/users/${bearer.userId}/keys/${file.keyId}`);
    const assertionIntrospect = await postForm(`${service.url}/oauth/v2/introspect`, {
      token: "x",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: await (await import("../support/oauth.js")).assertion(file, service.url),
    });
    assert.deepEqual([assertionIntrospect.status, assertionIntrospect.body], [400, { error: "unauthorized_client" }]);
    // A client assertion with claims of the wrong type, unsigned: refused the same way, never a 500.
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    for (const aud of [5, [service.url, 5]]) {
      const malformed = `${part({ alg: "none", kid: file.keyId })}.${part({ iss: bearer.userId, sub: bearer.userId, aud, exp: now + 60, iat: now })}.`;
      for (const path of ["introspect", "revoke"]) {
        const refused = await postForm(`${service.url}/oauth/v2/${path}`, {
          token: "x",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: malformed,
        });
        assert.deepEqual([refused.status, refused.body], [400, { error: "unauthorized_client" }], `${path}, aud ${JSON.stringify(aud)}`);
      }
    }
    assert.ok(await tokenFor(bearer, bearerSecret));
  });
});

describe("what is recorded", () => {
  it("records each grant as events of its own session, by the machine, and no token, secret or private key in plaintext", async () => {
    const token = await tokenFor(jwtUser, jwtSecret);
    const opaqueToken = await tokenFor(bearer, bearerSecret);
    const session = await sessionOf(jwtUser);
    assert.equal(session.metadata.editorUser, jwtUser.userId);
    assert.equal(session.metadata.resourceOwner, jwtUser.resourceOwner);
    assert.equal((session.data as { grantType: string }).grantType, "client_credentials");
    const all: RecordedEvent[] = [];
    for await (const event of service.store.readAll()) all.push(event);
    const log = JSON.stringify(all.map((e) => e.data));
    for (const secret of [token, opaqueToken, opaqueToken.split(".")[1]!, jwtSecret, bearerSecret, callerSecret]) {
      assert.ok(!log.includes(secret), "a token or secret is in the log");
    }
    assert.ok(!log.includes("PRIVATE KEY"), "a private key is in the log");
    assert.ok(all.some((e) => e.type === "key_pair.added"));
    const audited = await call("POST", "/admin/v1/events/_search", { asc: true, eventTypes: ["key_pair.added", "oidc_session.access_token.added"] });
    assert.equal(audited.status, 200);
    const keyPair = audited.body.events.find((e: { type: { type: string } }) => e.type.type === "key_pair.added");
    assert.equal(keyPair.payload.privateKey, "[redacted]", "the audit API never shows even the encrypted private key");
    const opaqueGrant = audited.body.events.find((e: { payload: { tokenHash?: string } }) => e.payload.tokenHash);
    assert.equal(opaqueGrant.payload.tokenHash, "[redacted]");
    assert.equal((await stat(join(dataDir, "oidc.key"))).mode & 0o777, 0o600);
  });
});

describe("keys across a restart and a rotation", () => {
  it("keeps signing keys and tokens across a restart; a rotation signs with the new key and old tokens stay valid", async () => {
    const jwt = await tokenFor(jwtUser, jwtSecret);
    const opaque = await tokenFor(bearer, bearerSecret);
    const kid = decodeProtectedHeader(jwt).kid;
    await service.close();
    service = await startTestService({}, dataDir);
    call = restClient(service);
    const jwks = () => createRemoteJWKSet(new URL(`${service.url}/oauth/v2/keys`), { cacheMaxAge: 0 });
    assert.equal((await jwtVerify(jwt, jwks())).protectedHeader.kid, kid);
    assert.equal((await introspect(opaque)).active, true);
    assert.equal((await call("GET", `/management/v1/users/${jwtUser.userId}`, undefined, { token: jwt })).status, 200);

    const rotated = await runCli(["rotate-signing-key", "--data-dir", dataDir]);
    assert.equal(rotated.code, 0, rotated.output);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // instances look at the log once a second
    const newer = await tokenFor(jwtUser, jwtSecret);
    assert.notEqual(decodeProtectedHeader(newer).kid, kid);
    const { keys } = (await (await fetch(`${service.url}/oauth/v2/keys`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(keys.map((k) => k.kid), [decodeProtectedHeader(newer).kid, kid], "newest first, the replaced key still published");
    await jwtVerify(jwt, jwks());
    await jwtVerify(newer, jwks());
    assert.equal((await introspect(jwt)).active, true);
    assert.equal((await call("GET", `/management/v1/users/${jwtUser.userId}`, undefined, { token: jwt })).status, 200);
  });

  it("refuses to rotate where the key-encryption key is missing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "idledger-nokek-"));
    try {
      const refused = await runCli(["rotate-signing-key", "--db", join(dataDir, "events.sqlite"), "--data-dir", empty]);
      assert.equal(refused.code, 1);
      assert.match(refused.output, /no oidc\.key/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

async function sessionOf(machine: TestMachine): Promise<RecordedEvent> {
  let last: RecordedEvent | undefined;
  for await (const event of service.store.readAll({ direction: "backwards" })) {
    if (event.type === "oidc_session.added" && (event.data as { userID: string }).userID === machine.userId) {
      last = event;
      break;
    }
  }
  assert.ok(last, "a session of the machine");
  return last;
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, env: { ...process.env, EVENTSTORE_URL: "" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("exit", (code) => resolve({ code, output }));
  });
}
