import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { connect } from "node:http2";
import { after, before, describe, it } from "node:test";
import { createAccessTokenInterceptor, createManagementClient } from "@zitadel/node/dist/api/index.js";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { ClientError, Metadata } from "nice-grpc";
import * as client from "openid-client";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { addKey, addMachine, API_SCOPE, assertion, basic, generateSecret, postForm, type TestMachine } from "../support/oauth.js";

/**
 * The token endpoint, discovery and JWKS through independent clients: openid-client (discovery,
 * client_credentials, the JWT-profile grant), jose (JWKS, assertions), @zitadel/node (the API with
 * the token obtained). Every error case through raw HTTP, since the clients only throw.
 */
let service: TestService;
let call: ReturnType<typeof restClient>;
let issuer: string;
let opaque: TestMachine;
let opaqueSecret: string;
let jwtMachine: TestMachine;
let jwtSecret: string;

const insecure = { execute: [client.allowInsecureRequests] };
const tokenUrl = () => `${service.url}/oauth/v2/token`;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  issuer = service.url;
  opaque = await addMachine(call, "svc-opaque");
  opaqueSecret = await generateSecret(call, opaque);
  jwtMachine = await addMachine(call, "svc-jwt", { jwt: true });
  jwtSecret = await generateSecret(call, jwtMachine);
  for (const machine of [opaque, jwtMachine]) {
    const member = await call("POST", "/management/v1/orgs/me/members", { userId: machine.userId, roles: ["ORG_USER_MANAGER"] });
    assert.equal(member.status, 200);
  }
});
after(() => service.dispose());

describe("discovery", () => {
  it("names the origin the request came to as issuer, so openid-client accepts it at 127.0.0.1 and at localhost", async () => {
    for (const origin of [service.url, service.url.replace("127.0.0.1", "localhost")]) {
      const config = await client.discovery(new URL(origin), opaque.userName, opaqueSecret, undefined, insecure);
      const metadata = config.serverMetadata();
      assert.equal(metadata.issuer, origin);
      assert.equal(metadata.token_endpoint, `${origin}/oauth/v2/token`);
      assert.equal(metadata.jwks_uri, `${origin}/oauth/v2/keys`);
      assert.equal(metadata.introspection_endpoint, `${origin}/oauth/v2/introspect`);
      assert.equal(metadata.revocation_endpoint, `${origin}/oauth/v2/revoke`);
      assert.equal(metadata.userinfo_endpoint, `${origin}/oidc/v1/userinfo`);
      assert.deepEqual(metadata.grant_types_supported, ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"]);
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, ["RS256"]);
      assert.ok(metadata.scopes_supported?.includes(API_SCOPE));
    }
  });

  it("answers discovery over HTTP/2 (h2c) too, with the :authority as issuer", async () => {
    const session = connect(service.url);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = session.request({ ":path": "/.well-known/openid-configuration" });
        let text = "";
        request.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve(text)).on("error", reject);
      });
      assert.equal(JSON.parse(body).issuer, service.url);
    } finally {
      session.close();
    }
  });

  it("serves the JWKS with a kid, RS256 and ZITADEL's cache header", async () => {
    const response = await fetch(`${service.url}/oauth/v2/keys`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "max-age=300, must-revalidate");
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.kty, "RSA");
    assert.equal(keys[0]!.alg, "RS256");
    assert.equal(keys[0]!.use, "sig");
    assert.match(keys[0]!.kid!, /^\d+$/);
    assert.equal(keys[0]!.d, undefined, "no private part");
  });
});

describe("client_credentials (openid-client)", () => {
  it("issues an opaque token to a BEARER machine, with an id_token for openid, 12 h by default", async () => {
    const config = await client.discovery(new URL(service.url), opaque.userName, opaqueSecret, undefined, insecure);
    const tokens = await client.clientCredentialsGrant(config, { scope: "openid profile unknown:scope" });
    assert.equal(tokens.token_type, "bearer");
    assert.equal(tokens.expires_in, 43200);
    assert.match(tokens.access_token, /^\d+\.[\w-]{43}$/);
    const idToken = decodeJwt(tokens.id_token!);
    assert.equal(idToken.iss, issuer);
    assert.equal(idToken.sub, opaque.userId);
    assert.ok((idToken.aud as string[]).includes(opaque.userName));
  });

  it("authenticates by HTTP Basic with URL-encoded halves, as ZITADEL decodes them", async () => {
    const config = await client.discovery(new URL(service.url), opaque.userName, undefined, client.ClientSecretBasic(opaqueSecret), insecure);
    const tokens = await client.clientCredentialsGrant(config, { scope: API_SCOPE });
    assert.ok(tokens.access_token);
    assert.equal(tokens.id_token, undefined, "no id_token without openid");
  });

  it("issues a JWT to a JWT machine that jose verifies against jwks_uri, with ZITADEL's claims", async () => {
    const config = await client.discovery(new URL(service.url), jwtMachine.userName, jwtSecret, undefined, insecure);
    const tokens = await client.clientCredentialsGrant(config, { scope: `openid ${API_SCOPE} urn:zitadel:iam:user:resourceowner urn:zitadel:iam:org:id:${jwtMachine.resourceOwner} urn:zitadel:iam:org:id:999` });
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer, audience: jwtMachine.userName, algorithms: ["RS256"] });
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(protectedHeader.typ, "JWT");
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, jwtMachine.userId);
    assert.equal(payload.client_id, jwtMachine.userName);
    assert.match(String(payload.jti), /^\d+$/);
    assert.equal(payload.exp! - payload.iat!, 43200);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload["urn:zitadel:iam:user:resourceowner:id"], jwtMachine.resourceOwner);
    assert.equal(payload["urn:zitadel:iam:user:resourceowner:name"], "ZITADEL");
    assert.ok(!String(payload.scope).includes(":999"), "an org scope for another org is dropped");
    const { payload: idToken } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: jwtMachine.userName });
    assert.equal(idToken.sub, jwtMachine.userId);
    // OIDC Core 3.1.3.6: the left half of the access token's SHA-256.
    assert.equal(idToken.at_hash, createHash("sha256").update(tokens.access_token).digest().subarray(0, 16).toString("base64url"));
  });
});

describe("JWT-profile grant (jose assertion, openid-client)", () => {
  it("trades an assertion signed with an AddMachineKey key file for a token", async () => {
    const machine = await addMachine(call, "svc-keyed");
    const file = await addKey(call, machine);
    const config = await client.discovery(new URL(service.url), machine.userId, undefined, client.None(), insecure);
    const tokens = await client.genericGrantRequest(config, "urn:ietf:params:oauth:grant-type:jwt-bearer", {
      assertion: await assertion(file, issuer),
      scope: "openid profile",
    });
    assert.match(tokens.access_token, /^\d+\.[\w-]{43}$/);
    const info = await client.fetchUserInfo(config, tokens.access_token, machine.userId);
    assert.equal(info.preferred_username, "svc-keyed");
  });

  it("refuses a removed key (an expired one: test/unit/accessTokens.test.ts)", async () => {
    const machine = await addMachine(call, "svc-keyed-refused");
    const removed = await addKey(call, machine);
    assert.equal((await call("DELETE", `/management/v1/users/${machine.userId}/keys/${removed.keyId}`)).status, 200);
    const gone = await postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: await assertion(removed, issuer) });
    assert.equal(gone.status, 400);
    assert.deepEqual(gone.body, { error: "invalid_grant", error_description: "invalid signature (error fetching keys: Errors.AuthNKey.NotFound)" });
  });

  it("refuses assertions that are expired, too old, for another audience, delegated, unsigned by the key, or malformed", async () => {
    const machine = await addMachine(call, "svc-keyed-checks");
    const file = await addKey(call, machine);
    const other = await addKey(call, await addMachine(call, "svc-keyed-other"));
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, string][] = [
      ["expired", await assertion(file, issuer, { exp: now - 10 }), "token has expired"],
      ["older than an hour", await assertion(file, issuer, { iat: now - 3700 }), "issuedAt of token is to old"],
      ["issued in the future", await assertion(file, issuer, { iat: now + 600 }), "issuedAt of token is in the future"],
      ["another audience", await assertion(file, "https://elsewhere.example.com"), `audience is not valid: Audience must contain client_id "${issuer}"`],
      ["iss is not sub", await assertion(file, issuer, { iss: "someone-else" }), "delegation not yet implemented, issuer and sub must be identical"],
      ["signed by another user's key", await assertion({ ...other, userId: machine.userId }, issuer, {}, file.keyId), "invalid signature"],
      ["not a JWT", "not-a-jwt", "parsing of request failed"],
      // Claims of the wrong type, unsigned: refused as zitadel/oidc decodes them (pkg/oidc/types.go),
      // before any key is looked up; never a 500.
      ...(
        [
          [{ aud: [issuer, 5] }, "parsing of request failed"],
          [{ sub: 5, iss: 5 }, "parsing of request failed"],
          [{ exp: "soon" }, "parsing of request failed"],
          [{ iat: true }, "parsing of request failed"],
          [{ aud: 5 }, `audience is not valid: Audience must contain client_id "${issuer}"`],
          [{ aud: {} }, `audience is not valid: Audience must contain client_id "${issuer}"`],
          [{ aud: null }, `audience is not valid: Audience must contain client_id "${issuer}"`],
          [{ exp: null }, "token has expired"],
          [{ iat: null }, "issuedAt of token is missing"],
        ] as const
      ).map(([claims, description]): [string, string, string] => [
        `claims ${JSON.stringify(claims)}`,
        unsigned({ kid: file.keyId }, { iss: machine.userId, sub: machine.userId, aud: issuer, exp: now + 60, iat: now, ...claims }),
        description,
      ]),
      ["a kid that is not a string", unsigned({ kid: 5 }, { iss: machine.userId, sub: machine.userId, aud: issuer, exp: now + 60, iat: now }), "parsing of request failed"],
    ];
    for (const [name, signed, description] of cases) {
      const refused = await postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: signed });
      assert.equal(refused.status, 400, name);
      assert.deepEqual(refused.body, { error: "invalid_grant", error_description: description }, name);
    }
    const unknownUser = await postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: await assertion({ ...file, userId: "404404" }, issuer) });
    assert.equal(unknownUser.status, 404);
    assert.deepEqual(unknownUser.body, { error: "invalid_request", error_description: "Errors.User.NotFound" });
    const missing = await postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer" });
    assert.deepEqual([missing.status, missing.body], [400, { error: "invalid_request", error_description: "assertion missing" }]);
  });
});

describe("machine keys belong to their user", () => {
  it("a key of a user whose id is '<victim>:x' never signs for the victim, whatever kid it names", async () => {
    const victim = await addMachine(call, "svc-victim");
    await call("POST", "/management/v1/orgs/me/members", { userId: victim.userId, roles: ["ORG_USER_MANAGER"] });
    const trick = await call("POST", "/management/v1/users/machine", { userId: `${victim.userId}:x`, userName: "svc-trick", name: "Trick" });
    assert.equal(trick.status, 200);
    const trickFile = await addKey(call, { userId: `${victim.userId}:x`, userName: "svc-trick", resourceOwner: victim.resourceOwner });
    for (const kid of [`x:${trickFile.keyId}`, trickFile.keyId, `["${victim.userId}:x","${trickFile.keyId}"]`]) {
      const forged = await assertion({ ...trickFile, userId: victim.userId }, issuer, {}, kid);
      const refused = await postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: forged, scope: API_SCOPE });
      assert.equal(refused.status, 400, kid);
      assert.equal(refused.body.error, "invalid_grant", kid);
      assert.equal(refused.body.access_token, undefined);
    }
  });
});

describe("token endpoint errors, as ZITADEL answers them", () => {
  it("answers missing and unsupported grant types, unknown clients, secrets that are wrong or missing", async () => {
    const noSecret = await addMachine(call, "svc-no-secret");
    const human = await call("POST", "/management/v1/users/human", {
      userName: "token-human",
      profile: { firstName: "T", lastName: "H" },
      email: { email: "t@example.com", isEmailVerified: true },
      initialPassword: "Secr3t!Passw0rd",
    });
    assert.equal(human.status, 200);
    const cc = (extra: Record<string, string>, headers: Record<string, string> = {}) => postForm(tokenUrl(), { grant_type: "client_credentials", ...extra }, headers);
    const cases: [string, Promise<{ status: number; body: unknown }>, number, unknown][] = [
      ["no grant_type", postForm(tokenUrl(), {}), 400, { error: "invalid_request", error_description: "grant_type missing" }],
      ["unsupported grant", postForm(tokenUrl(), { grant_type: "password" }), 400, { error: "unsupported_grant_type", error_description: "password not supported" }],
      ["no client", cc({}), 400, { error: "invalid_request", error_description: "client_id or client_assertion must be provided" }],
      ["unknown client", cc({ client_id: "nobody", client_secret: "x" }), 400, { error: "invalid_client", error_description: "client not found" }],
      ["wrong secret", cc({ client_id: opaque.userName, client_secret: "wrong" }), 400, { error: "invalid_request", error_description: "Errors.User.Machine.Secret.Invalid" }],
      ["no secret sent", cc({ client_id: opaque.userName }), 400, { error: "invalid_request", error_description: "Errors.User.Machine.Secret.Invalid" }],
      ["user without a secret", cc({ client_id: noSecret.userName, client_secret: "x" }), 400, { error: "invalid_request", error_description: "Errors.User.Machine.Secret.NotExisting" }],
      ["a human", cc({ client_id: "token-human", client_secret: "x" }), 400, { error: "invalid_request", error_description: "Errors.User.Machine.Secret.NotExisting" }],
      ["two methods", cc({ client_id: opaque.userName, client_secret: opaqueSecret }, basic(opaque.userName, opaqueSecret)), 400, { error: "invalid_request", error_description: "client authentication must not use more than one method" }],
      ["broken basic escape", cc({}, { authorization: `Basic ${Buffer.from("a%zz:b").toString("base64")}` }), 400, { error: "invalid_client", error_description: "invalid basic auth header" }],
      ["a parameter twice", postForm(`${tokenUrl()}`, {}).then(() => fetchRaw("grant_type=client_credentials&grant_type=client_credentials")), 400, { error: "invalid_request", error_description: "parameter grant_type must be given once" }],
      ["scope too long", cc({ client_id: opaque.userName, client_secret: opaqueSecret, scope: "a".repeat(2049) }), 400, { error: "invalid_request", error_description: "parameter scope is too long" }],
      ["too many scopes", cc({ client_id: opaque.userName, client_secret: opaqueSecret, scope: Array.from({ length: 51 }, (_, i) => `s${i}`).join(" ") }), 400, { error: "invalid_request", error_description: "at most 50 scopes may be requested" }],
      ["body too large", fetchRaw(`grant_type=client_credentials&pad=${"x".repeat(20_000)}`), 400, { error: "invalid_request", error_description: "the request body is too large" }],
      ["assertion too large", postForm(tokenUrl(), { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "e".repeat(9000) }), 400, { error: "invalid_request", error_description: "parameter assertion is too long" }],
    ];
    for (const [name, answer, status, body] of cases) {
      const { status: got, body: gotBody } = await answer;
      assert.equal(got, status, `${name}: ${JSON.stringify(gotBody)}`);
      assert.deepEqual(gotBody, body, name);
    }
  });

  it("reads a JSON body as an empty form, as ZITADEL's ParseForm does", async () => {
    const response = await fetch(tokenUrl(), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "client_credentials" }) });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: "invalid_request", error_description: "grant_type missing" });
  });

  it("stops accepting a secret once it is regenerated", async () => {
    const machine = await addMachine(call, "svc-regenerated");
    const first = await generateSecret(call, machine);
    await generateSecret(call, machine);
    const refused = await postForm(tokenUrl(), { grant_type: "client_credentials", client_id: machine.userName, client_secret: first });
    assert.deepEqual([refused.status, refused.body.error_description], [400, "Errors.User.Machine.Secret.Invalid"]);
  });
});

describe("tokens call the Management API like PATs", () => {
  it("creates a machine user over REST and gRPC (@zitadel/node) with its ORG_USER_MANAGER role, opaque and JWT", async () => {
    for (const [machine, secret] of [
      [opaque, opaqueSecret],
      [jwtMachine, jwtSecret],
    ] as const) {
      const config = await client.discovery(new URL(service.url), machine.userName, secret, undefined, insecure);
      const { access_token: token } = await client.clientCredentialsGrant(config, { scope: API_SCOPE });
      const rest = await call("POST", "/management/v1/users/machine", { userName: `made-by-${machine.userName}-rest`, name: "Made" }, { token });
      assert.equal(rest.status, 200, JSON.stringify(rest.body));
      const grpc = createManagementClient(new URL(service.url).host, createAccessTokenInterceptor(token));
      const made = await grpc.addMachineUser({ userName: `made-by-${machine.userName}-grpc`, name: "Made", description: "", accessTokenType: 0 });
      assert.match(made.userId, /^\d+$/);
      const events = await service.store.readStream(`user-${made.userId}`);
      assert.equal(events[0]!.metadata.editorUser, machine.userId, "the machine is the editor");
    }
  });

  it("stays within the role and the org, and needs ZITADEL's API scope", async () => {
    const config = await client.discovery(new URL(service.url), opaque.userName, opaqueSecret, undefined, insecure);
    const { access_token: token } = await client.clientCredentialsGrant(config, { scope: API_SCOPE });
    const org = await call("POST", "/management/v1/orgs", { name: "Beyond" });
    const elsewhere = await call("POST", "/management/v1/users/machine", { userName: "beyond-bot", name: "B" }, { token, orgId: org.body.id });
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body.details[0].id, "AUTH-5mWD2");
    const addOrg = await call("POST", "/management/v1/orgs", { name: "Not Mine" }, { token });
    assert.equal(addOrg.status, 403);

    const { access_token: unscoped } = await client.clientCredentialsGrant(config, { scope: "openid" });
    const refused = await call("POST", "/management/v1/users/machine", { userName: "unscoped-bot", name: "U" }, { token: unscoped });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.details[0].id, "AUTH-7fs1e");
    const grpc = createManagementClient(new URL(service.url).host, createAccessTokenInterceptor(unscoped));
    await assert.rejects(grpc.getUserByID({ id: opaque.userId }, { metadata: Metadata() }), (error: unknown) => error instanceof ClientError && error.code === 16);
  });
});

function fetchRaw(body: string) {
  return fetch(tokenUrl(), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }).then(async (r) => ({ status: r.status, body: await r.json() }));
}

/** A JWT with `alg: none`: what anyone can make without a key. */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", ...header })}.${part(payload)}.`;
}
