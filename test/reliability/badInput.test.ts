import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let userId: string;
let humanId: string;
let removedId: string;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  userId = (await call("POST", "/management/v1/users/machine", { userName: "taken", name: "Taken" })).body.userId;
  const active = { userName: "active-human", profile: { firstName: "A", lastName: "H" }, email: { email: "ah@example.com", isEmailVerified: true }, initialPassword: "Active!Passw0rd" };
  humanId = (await call("POST", "/management/v1/users/human", active)).body.userId;
  removedId = (await call("POST", "/management/v1/users/machine", { userName: "removed", name: "Removed" })).body.userId;
  assert.equal((await call("DELETE", `/management/v1/users/${removedId}`)).status, 200);
});
after(() => service.dispose());

interface BadRequest {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly token?: string | null;
  readonly orgId?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: number;
  /** A part of the message that tells the client what was wrong. */
  readonly says: string;
}

const users = "/management/v1/users";
const human = { userName: "h", profile: { firstName: "A", lastName: "B" }, email: { email: "h@example.com" } };

const badRequests = (): BadRequest[] => [
  { name: "no token", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a" }, token: null, status: 401, code: 16, says: "auth header missing" },
  { name: "unknown token", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a" }, token: "x", status: 401, code: 16, says: "AUTH-7fs1e" },
  { name: "unknown org", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a" }, orgId: "1", status: 403, code: 7, says: "AUTH-Bs7Ds" },
  { name: "empty userName", method: "POST", path: `${users}/machine`, body: { userName: "", name: "a" }, status: 400, code: 3, says: "AddMachineUserRequest.UserName" },
  { name: "missing name", method: "POST", path: `${users}/machine`, body: { userName: "a" }, status: 400, code: 3, says: "AddMachineUserRequest.Name" },
  { name: "blank name", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "   " }, status: 400, code: 3, says: "COMMAND-bs9Ds" },
  { name: "userName too long", method: "POST", path: `${users}/machine`, body: { userName: "u".repeat(201), name: "a" }, status: 400, code: 3, says: "UserName" },
  { name: "description too long", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a", description: "d".repeat(501) }, status: 400, code: 3, says: "Description" },
  { name: "userId too long", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a", userId: "1".repeat(201) }, status: 400, code: 3, says: "UserId" },
  { name: "unknown enum name", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a", accessTokenType: "ACCESS_TOKEN_TYPE_SAML" }, status: 400, code: 3, says: "AccessTokenType" },
  { name: "undefined enum number", method: "POST", path: `${users}/machine`, body: { userName: "a", name: "a", accessTokenType: 5 }, status: 400, code: 3, says: "AccessTokenType" },
  { name: "wrong JSON type", method: "POST", path: `${users}/machine`, body: { userName: 42, name: "a" }, status: 400, code: 3, says: "user_name" },
  { name: "malformed JSON", method: "POST", path: `${users}/machine`, raw: '{"userName": "a",', status: 400, code: 3, says: "not valid JSON" },
  { name: "JSON that is not an object", method: "POST", path: `${users}/machine`, raw: "[1,2,3]", status: 400, code: 3, says: "UserName" },
  { name: "wrong content type", method: "POST", path: `${users}/machine`, raw: "userName=a", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 400, code: 3, says: "Content-Type" },
  { name: "body too large", method: "POST", path: `${users}/machine`, raw: JSON.stringify({ userName: "a", name: "x".repeat(2_000_000) }), status: 400, code: 3, says: "too large" },
  { name: "taken userName", method: "POST", path: `${users}/machine`, body: { userName: "TAKEN", name: "a" }, status: 409, code: 6, says: "V3-DKcYh" },
  { name: "taken userId", method: "POST", path: `${users}/machine`, body: { userName: "fresh", name: "a", userId }, status: 400, code: 9, says: "COMMAND-k2una" },
  { name: "change without change", method: "PUT", path: `${users}/${userId}/machine`, body: { name: "Taken" }, status: 400, code: 9, says: "COMMAND-2n8vs" },
  { name: "change of unknown user", method: "PUT", path: `${users}/nobody/machine`, body: { name: "x" }, status: 404, code: 5, says: "COMMAND-5M0od" },
  { name: "change with empty name", method: "PUT", path: `${users}/${userId}/machine`, body: { name: "" }, status: 400, code: 3, says: "UpdateMachineRequest.Name" },
  { name: "secret of unknown user", method: "PUT", path: `${users}/nobody/secret`, body: {}, status: 400, code: 9, says: "COMMAND-x8910n" },
  { name: "human without profile", method: "POST", path: `${users}/human`, body: { userName: "h", email: { email: "h@example.com" } }, status: 400, code: 3, says: "Profile" },
  { name: "human with invalid email", method: "POST", path: `${users}/human`, body: { ...human, email: { email: "no-at-sign" } }, status: 400, code: 3, says: "Email" },
  { name: "human phone without +", method: "POST", path: `${users}/human`, body: { ...human, phone: { phone: "0791234567" } }, status: 400, code: 3, says: "prefix" },
  { name: "human with weak password", method: "POST", path: `${users}/human`, body: { ...human, initialPassword: "short" }, status: 400, code: 3, says: "COMMA-HuJf6" },
  { name: "human with blank first name", method: "POST", path: `${users}/human`, body: { ...human, profile: { firstName: " ", lastName: "B" } }, status: 400, code: 3, says: "USER-UCej2" },
  { name: "human with a taken userName", method: "POST", path: `${users}/human`, body: { ...human, userName: "taken" }, status: 409, code: 6, says: "V3-DKcYh" },
  { name: "org with blank name", method: "POST", path: "/management/v1/orgs", body: { name: " " }, status: 400, code: 3, says: "EVENT-Mf9sd" },
  { name: "human with an undefined gender", method: "POST", path: `${users}/human`, body: { ...human, profile: { firstName: "A", lastName: "B", gender: 7 } }, status: 400, code: 3, says: "Gender" },
  { name: "machine rename to blank", method: "PUT", path: `${users}/${userId}/machine`, body: { name: "  " }, status: 400, code: 3, says: "COMMAND-bs9Ds" },
  { name: "member without roles", method: "POST", path: "/management/v1/orgs/me/members", body: { userId, roles: [] }, status: 400, code: 3, says: "Org-W8m4l" },
  { name: "member with an empty role", method: "POST", path: "/management/v1/orgs/me/members", body: { userId, roles: [""] }, status: 400, code: 3, says: "Org-4N8es" },
  { name: "member who does not exist", method: "POST", path: "/management/v1/orgs/me/members", body: { userId: "nobody", roles: ["ORG_OWNER"] }, status: 400, code: 9, says: "ORG-GoXOn" },
  { name: "member who was removed", method: "POST", path: "/management/v1/orgs/me/members", body: { userId: removedId, roles: ["ORG_OWNER"] }, status: 400, code: 9, says: "ORG-GoXOn" },
  { name: "member with too many roles", method: "POST", path: "/management/v1/orgs/me/members", body: { userId, roles: Array(51).fill("ORG_USER_MANAGER") }, status: 400, code: 3, says: "API-mEmRl" },
  { name: "member with an instance role", method: "POST", path: "/management/v1/orgs/me/members", body: { userId, roles: ["IAM_OWNER"] }, status: 400, code: 3, says: "Org-4N8es" },
  { name: "token that expired already", method: "POST", path: `${users}/${userId}/pats`, body: { expirationDate: "2000-01-01T00:00:00Z" }, status: 400, code: 3, says: "API-Pe3xp" },
  { name: "path with a broken escape", method: "GET", path: `${users}/%ZZ`, status: 400, code: 3, says: "could not be read" },
  { name: "corrupt gzip body", method: "PUT", path: `${users}/${userId}/secret`, raw: "not gzip", headers: { "content-encoding": "gzip" }, status: 400, code: 3, says: "could not be read" },
  { name: "unknown route", method: "GET", path: "/management/v1/nothing/here", status: 404, code: 5, says: "Not Found" },
  { name: "rename to a name too long", method: "PUT", path: `${users}/${userId}/username`, body: { userName: "u".repeat(201) }, status: 400, code: 3, says: "UpdateUserNameRequest.UserName" },
  { name: "rename without a name", method: "PUT", path: `${users}/${userId}/username`, body: {}, status: 400, code: 3, says: "UpdateUserNameRequest.UserName" },
  { name: "lock of unknown user", method: "POST", path: `${users}/nobody/_lock`, body: {}, status: 404, code: 5, says: "COMMAND-5M9fs" },
  { name: "profile without a first name", method: "PUT", path: `${users}/${humanId}/profile`, body: { lastName: "H", displayName: "H" }, status: 400, code: 3, says: "UpdateHumanProfileRequest.FirstName" },
  { name: "profile with a display name too long", method: "PUT", path: `${users}/${humanId}/profile`, body: { firstName: "A", lastName: "H", displayName: "d".repeat(201) }, status: 400, code: 3, says: "DisplayName" },
  { name: "profile with an undefined gender", method: "PUT", path: `${users}/${humanId}/profile`, body: { firstName: "A", lastName: "H", displayName: "A H", gender: 9 }, status: 400, code: 3, says: "Gender" },
  { name: "profile that changes nothing", method: "PUT", path: `${users}/${humanId}/profile`, body: { firstName: "A", lastName: "H", displayName: "A H" }, status: 400, code: 9, says: "COMMAND-2M0fs" },
  { name: "profile of a machine", method: "PUT", path: `${users}/${userId}/profile`, body: { firstName: "A", lastName: "H", displayName: "A H" }, status: 400, code: 9, says: "COMMAND-3M9sd" },
  { name: "email that is none", method: "PUT", path: `${users}/${humanId}/email`, body: { email: "not-an-email" }, status: 400, code: 3, says: "UpdateHumanEmailRequest.Email" },
  { name: "email that changes nothing", method: "PUT", path: `${users}/${humanId}/email`, body: { email: "ah@example.com", isEmailVerified: true }, status: 400, code: 9, says: "COMMAND-2b7fM" },
  { name: "phone without +", method: "PUT", path: `${users}/${humanId}/phone`, body: { phone: "0791234567" }, status: 400, code: 3, says: "prefix" },
  { name: "phone too long", method: "PUT", path: `${users}/${humanId}/phone`, body: { phone: `+${"1".repeat(50)}` }, status: 400, code: 3, says: "UpdateHumanPhoneRequest.Phone" },
  { name: "phone that is no number", method: "PUT", path: `${users}/${humanId}/phone`, body: { phone: "+41 abc" }, status: 400, code: 3, says: "PHONE-so0wa" },
  { name: "removing a phone there is not", method: "DELETE", path: `${users}/${humanId}/phone`, status: 404, code: 5, says: "COMMAND-p6rsc" },
  { name: "resend to a bad address", method: "POST", path: `${users}/${humanId}/_resend_initialization`, body: { email: "nope" }, status: 400, code: 3, says: "ResendHumanInitializationRequest.Email" },
  { name: "resend to an initialized human", method: "POST", path: `${users}/${humanId}/_resend_initialization`, body: {}, status: 400, code: 9, says: "COMMAND-2M9sd" },
  { name: "password too long", method: "POST", path: `${users}/${humanId}/password`, body: { password: `Aa1!${"x".repeat(69)}` }, status: 400, code: 3, says: "SetHumanPasswordRequest.Password" },
  { name: "password missing", method: "POST", path: `${users}/${humanId}/password`, body: {}, status: 400, code: 3, says: "SetHumanPasswordRequest.Password" },
  { name: "initial password too weak", method: "POST", path: `${users}/${humanId}/password/_initialize`, body: { password: "weakpassword" }, status: 400, code: 3, says: "COMMA-VoaRj" },
  { name: "password of a machine", method: "POST", path: `${users}/${userId}/password`, body: { password: "Good!Passw0rd" }, status: 400, code: 9, says: "COMMAND-3M0fs" },
  { name: "import without an email", method: "POST", path: `${users}/human/_import`, body: { userName: "i", profile: { firstName: "A", lastName: "B" } }, status: 400, code: 3, says: "ImportHumanUserRequest.Email" },
  { name: "import with an unknown hash", method: "POST", path: `${users}/human/_import`, body: { ...human, userName: "i", hashedPassword: { value: "{SSHA}abc" } }, status: 400, code: 3, says: "USER-JDk4t" },
  { name: "import with a hash too long", method: "POST", path: `${users}/human/_import`, body: { ...human, userName: "i", hashedPassword: { value: `$2y$10$${"a".repeat(10_000)}` } }, status: 400, code: 3, says: "USER-JDk4t" },
  { name: "import with a password of the wrong type", method: "POST", path: `${users}/human/_import`, body: { ...human, userName: "i", password: 5 }, status: 400, code: 3, says: "password" },
  { name: "import with a taken userName", method: "POST", path: `${users}/human/_import`, body: { ...human, userName: "TAKEN" }, status: 409, code: 6, says: "V3-DKcYh" },
  { name: "profile of a machine read", method: "GET", path: `${users}/${userId}/profile`, status: 400, code: 9, says: "QUERY-WLTce" },
  { name: "phone of an unknown user read", method: "GET", path: `${users}/nobody/phone`, status: 404, code: 5, says: "QUERY-DAvb3" },
  { name: "unimplemented method", method: "GET", path: "/management/v1/iam", status: 501, code: 12, says: "GetIAM" },
  { name: "remove the secret of an unknown user", method: "DELETE", path: `${users}/nobody/secret`, status: 400, code: 9, says: "COMMAND-x7s802" },
  { name: "remove a secret that is not set", method: "DELETE", path: `${users}/${userId}/secret`, status: 400, code: 9, says: "COMMAND-coi82n" },
  { name: "remove an unknown token", method: "DELETE", path: `${users}/${userId}/pats/404`, status: 404, code: 5, says: "COMMAND-4m77G" },
  { name: "remove a token with an id too long", method: "DELETE", path: `${users}/${userId}/pats/${"1".repeat(201)}`, status: 400, code: 3, says: "RemovePersonalAccessTokenRequest.TokenId" },
  { name: "get an unknown token", method: "GET", path: `${users}/${userId}/pats/404`, status: 404, code: 5, says: "QUERY-fRunu" },
  { name: "list tokens with a negative offset", method: "POST", path: `${users}/${userId}/pats/_search`, body: { query: { offset: "-1" } }, status: 400, code: 3, says: "offset" },
  { name: "list tokens with a limit beyond uint32", method: "POST", path: `${users}/${userId}/pats/_search`, body: { query: { limit: 4294967296 } }, status: 400, code: 3, says: "limit" },
  { name: "metadata without a value", method: "POST", path: `${users}/${userId}/metadata/k`, body: {}, status: 400, code: 3, says: "SetUserMetadataRequest.Value" },
  { name: "metadata value over 500,000 bytes", method: "POST", path: `${users}/${userId}/metadata/k`, body: { value: Buffer.alloc(500_001).toString("base64") }, status: 400, code: 3, says: "between 1 and 500000 bytes" },
  { name: "metadata value that is not base64", method: "POST", path: `${users}/${userId}/metadata/k`, body: { value: "not base64!" }, status: 400, code: 3, says: "value" },
  { name: "metadata key too long", method: "POST", path: `${users}/${userId}/metadata/${"k".repeat(201)}`, body: { value: "dg==" }, status: 400, code: 3, says: "SetUserMetadataRequest.Key" },
  { name: "bulk metadata with an empty key", method: "POST", path: `${users}/${userId}/metadata/_bulk`, body: { metadata: [{ key: "", value: "dg==" }] }, status: 400, code: 3, says: "Metadata[0]" },
  { name: "bulk metadata with nothing", method: "POST", path: `${users}/${userId}/metadata/_bulk`, body: {}, status: 400, code: 9, says: "META-9mm2d" },
  { name: "metadata of an unknown user", method: "POST", path: `${users}/nobody/metadata/k`, body: { value: "dg==" }, status: 400, code: 9, says: "COMMAND-uXHNj" },
  { name: "remove unknown metadata", method: "DELETE", path: `${users}/${userId}/metadata/nothing`, status: 404, code: 5, says: "META-ncnw3" },
  { name: "bulk remove unknown metadata", method: "DELETE", path: `${users}/${userId}/metadata/_bulk`, body: { keys: ["nothing"] }, status: 404, code: 5, says: "META-2nnds" },
  { name: "bulk remove an empty key", method: "DELETE", path: `${users}/${userId}/metadata/_bulk`, body: { keys: [""] }, status: 400, code: 3, says: "Keys[0]" },
  { name: "get unknown metadata", method: "GET", path: `${users}/${userId}/metadata/nothing`, status: 404, code: 5, says: "QUERY-Rgh32" },
  { name: "list metadata with an undefined text method", method: "POST", path: `${users}/${userId}/metadata/_search`, body: { queries: [{ keyQuery: { key: "k", method: 42 } }] }, status: 400, code: 3, says: "MetadataKeyQuery.Method" },
  { name: "list metadata with a query of no kind", method: "POST", path: `${users}/${userId}/metadata/_search`, body: { queries: [{}] }, status: 400, code: 3, says: "METAD-fdg23" },
  { name: "remove the secret of a userId too long", method: "DELETE", path: `${users}/${"1".repeat(201)}/secret`, status: 400, code: 3, says: "RemoveMachineSecretRequest.UserId" },
];

it("refuses bad input with a clear ZITADEL-shaped error, never a 500 or a stack trace, and appends nothing", async () => {
  for (const bad of badRequests()) {
    const before = await service.store.headPosition();
    const response = await call(bad.method, bad.path, bad.body, {
      ...(bad.raw !== undefined ? { raw: bad.raw } : {}),
      ...(bad.token !== undefined ? { token: bad.token } : {}),
      ...(bad.orgId ? { orgId: bad.orgId } : {}),
      ...(bad.headers ? { headers: bad.headers } : {}),
    });
    assert.equal(response.status, bad.status, `${bad.name}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.code, bad.code, bad.name);
    assert.equal(typeof response.body.message, "string", bad.name);
    assert.ok(Array.isArray(response.body.details), bad.name);
    const text = JSON.stringify(response.body);
    assert.ok(text.includes(bad.says), `${bad.name}: ${text} should say ${bad.says}`);
    assert.ok(!/\bat .+:\d+:\d+|node_modules|\.ts\b/.test(text), `${bad.name}: leaks internals: ${text}`);
    assert.equal(await service.store.headPosition(), before, `${bad.name} appended events`);
  }
});
