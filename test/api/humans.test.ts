import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifyPassword } from "../../src/commands/user/secrets.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
const api = "/management/v1";

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

let counter = 0;
/** A human who can log in: verified email and a password, so ACTIVE. */
const activeHuman = async (extra: Record<string, unknown> = {}) => {
  const userName = `human-${++counter}`;
  const created = await call("POST", `${api}/users/human`, {
    userName,
    profile: { firstName: "Hu", lastName: "Man" },
    email: { email: `${userName}@example.com`, isEmailVerified: true },
    initialPassword: "Initial!Passw0rd",
    ...extra,
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.userId as string;
};
/** A human without a password: INITIAL, with an initialization code pending. */
const initialHuman = async () => {
  const userName = `initial-${++counter}`;
  const created = await call("POST", `${api}/users/human`, { userName, profile: { firstName: "In", lastName: "Itial" }, email: { email: `${userName}@example.com` } });
  assert.equal(created.status, 200);
  return created.body.userId as string;
};
const machine = async () => (await call("POST", `${api}/users/machine`, { userName: `machine-${++counter}`, name: "M" })).body.userId as string;
const stateOf = async (userId: string) => (await call("GET", `${api}/users/${userId}`)).body.user.state as string;
/** The user's events appended since `revision`. */
const eventsSince = async (userId: string, revision: number) => (await service.store.readStream(`user-${userId}`)).filter((e) => e.revision > revision);
const revisionOf = async (userId: string) => (await service.store.readStream(`user-${userId}`)).at(-1)!.revision;

const refused = async (response: Promise<{ status: number; body: any }>, status: number, code: number, id: string) => {
  const before = await service.store.headPosition();
  const { status: actual, body } = await response;
  assert.equal(actual, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.equal(body.details[0].id, id);
  assert.equal(await service.store.headPosition(), before, "a refused command appends nothing");
};

describe("UpdateHumanProfile / GetHumanProfile", () => {
  const profile = { firstName: "Hu", lastName: "Man", displayName: "Hu Man" };

  it("records only what changed and reads back with the write's details", async () => {
    const userId = await activeHuman();
    const revision = await revisionOf(userId);
    const updated = await call("PUT", `${api}/users/${userId}/profile`, { ...profile, nickName: "Huey", gender: "GENDER_DIVERSE", preferredLanguage: "de" });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const [event, ...more] = await eventsSince(userId, revision);
    assert.equal(more.length, 0);
    assert.equal(event?.type, "user.human.profile.changed");
    assert.deepEqual(event?.data, { nickName: "Huey", gender: 3, preferredLanguage: "de" });

    const read = await call("GET", `${api}/users/${userId}/profile`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.details, updated.body.details);
    assert.deepEqual(read.body.profile, { firstName: "Hu", lastName: "Man", nickName: "Huey", displayName: "Hu Man", preferredLanguage: "de", gender: "GENDER_DIVERSE" });
    assert.equal((await call("GET", `${api}/users/${userId}`)).body.user.human.profile.nickName, "Huey");
  });

  it("refuses a change that changes nothing (9, COMMAND-2M0fs), blank names, unknown users and machines", async () => {
    const userId = await activeHuman();
    await refused(call("PUT", `${api}/users/${userId}/profile`, profile), 400, 9, "COMMAND-2M0fs");
    await refused(call("PUT", `${api}/users/${userId}/profile`, { ...profile, firstName: "  " }), 400, 3, "PROFILE-RF5z2");
    await refused(call("PUT", `${api}/users/${userId}/profile`, { ...profile, lastName: "  " }), 400, 3, "PROFILE-DSUkN");
    for (const other of ["404404", await machine()]) await refused(call("PUT", `${api}/users/${other}/profile`, profile), 400, 9, "COMMAND-3M9sd");
  });
});

describe("UpdateHumanEmail / GetHumanEmail", () => {
  it("changes and verifies, or changes and adds an encrypted code; the same address only to verify it", async () => {
    const userId = await activeHuman();
    let revision = await revisionOf(userId);
    const verified = await call("PUT", `${api}/users/${userId}/email`, { email: "New@example.com", isEmailVerified: true });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.deepEqual((await eventsSince(userId, revision)).map((e) => [e.type, e.data]), [
      ["user.human.email.changed", { email: "New@example.com" }],
      ["user.human.email.verified", {}],
    ]);
    const read = await call("GET", `${api}/users/${userId}/email`);
    assert.deepEqual(read.body, { details: verified.body.details, email: { email: "New@example.com", isEmailVerified: true } });

    revision = await revisionOf(userId);
    assert.equal((await call("PUT", `${api}/users/${userId}/email`, { email: "other@example.com" })).status, 200);
    const [changed, codeAdded] = await eventsSince(userId, revision);
    assert.equal(changed?.type, "user.human.email.changed");
    assert.equal(codeAdded?.type, "user.human.email.code.added");
    const { code, expiry } = codeAdded!.data as { code: { CryptoType: number; Algorithm: string; Crypted: string }; expiry: number };
    assert.equal(code.CryptoType, 0);
    assert.equal(code.Algorithm, "aes-256-gcm");
    // 12 bytes of IV, the 6-character code, 16 bytes of tag: the code itself is nowhere in the event.
    assert.equal(Buffer.from(code.Crypted, "base64").length, 12 + 6 + 16);
    assert.equal(expiry, 3600e9, "ZITADEL's default: one hour");
    assert.deepEqual((await call("GET", `${api}/users/${userId}/email`)).body.email, { email: "other@example.com" });

    await refused(call("PUT", `${api}/users/${userId}/email`, { email: "other@example.com" }), 400, 9, "COMMAND-2b7fM");
    assert.equal((await call("PUT", `${api}/users/${userId}/email`, { email: "other@example.com", isEmailVerified: true })).status, 200);
    await refused(call("PUT", `${api}/users/${userId}/email`, { email: "other@example.com", isEmailVerified: true }), 400, 9, "COMMAND-2b7fM");
  });

  it("refuses a human who has not initialized (9, COMMAND-J8dsk), unknown users, machines and bad addresses", async () => {
    await refused(call("PUT", `${api}/users/${await initialHuman()}/email`, { email: "x@example.com", isEmailVerified: true }), 400, 9, "COMMAND-J8dsk");
    for (const other of ["404404", await machine()]) await refused(call("PUT", `${api}/users/${other}/email`, { email: "x@example.com" }), 400, 9, "COMMAND-0Pe4r");
    const userId = await activeHuman();
    const before = await service.store.headPosition();
    assert.equal((await call("PUT", `${api}/users/${userId}/email`, { email: "no-at-sign" })).status, 400);
    assert.equal(await service.store.headPosition(), before);
  });
});

describe("UpdateHumanPhone / RemoveHumanPhone / GetHumanPhone", () => {
  it("sets, verifies and removes a phone, each once", async () => {
    const userId = await activeHuman();
    let revision = await revisionOf(userId);
    const set = await call("PUT", `${api}/users/${userId}/phone`, { phone: "+41 79 123 45 67" });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual((await eventsSince(userId, revision)).map((e) => e.type), ["user.human.phone.changed", "user.human.phone.code.added"]);
    assert.deepEqual((await call("GET", `${api}/users/${userId}/phone`)).body, { details: set.body.details, phone: { phone: "+41791234567" } });
    await refused(call("PUT", `${api}/users/${userId}/phone`, { phone: "+41791234567" }), 400, 9, "COMMAND-wF94r");

    revision = await revisionOf(userId);
    assert.equal((await call("PUT", `${api}/users/${userId}/phone`, { phone: "+41791234567", isPhoneVerified: true })).status, 200);
    assert.deepEqual((await eventsSince(userId, revision)).map((e) => e.type), ["user.human.phone.verified"]);
    assert.deepEqual((await call("GET", `${api}/users/${userId}/phone`)).body.phone, { phone: "+41791234567", isPhoneVerified: true });

    const removed = await call("DELETE", `${api}/users/${userId}/phone`);
    assert.equal(removed.status, 200);
    assert.deepEqual((await call("GET", `${api}/users/${userId}/phone`)).body, { details: removed.body.details, phone: {} });
    await refused(call("DELETE", `${api}/users/${userId}/phone`), 404, 5, "COMMAND-p6rsc");
  });

  it("refuses unknown users and machines with ZITADEL's ids", async () => {
    for (const other of ["404404", await machine()]) {
      await refused(call("PUT", `${api}/users/${other}/phone`, { phone: "+41791234567" }), 400, 9, "COMMAND-3M0fs");
      await refused(call("DELETE", `${api}/users/${other}/phone`), 400, 9, "COMMAND-3M9fs");
    }
  });
});

describe("ResendHumanInitialization", () => {
  it("adds a new hashed initialization code, and corrects the address first when one is given", async () => {
    const userId = await initialHuman();
    let revision = await revisionOf(userId);
    assert.equal((await call("POST", `${api}/users/${userId}/_resend_initialization`, {})).status, 200);
    const [code] = await eventsSince(userId, revision);
    assert.equal(code?.type, "user.human.initialization.code.added");
    assert.equal((code?.data as { expiry: number }).expiry, 72 * 3600e9);

    revision = await revisionOf(userId);
    assert.equal((await call("POST", `${api}/users/${userId}/_resend_initialization`, { email: "fixed@example.com" })).status, 200);
    assert.deepEqual((await eventsSince(userId, revision)).map((e) => e.type), ["user.human.email.changed", "user.human.initialization.code.added"]);
    assert.equal((await call("GET", `${api}/users/${userId}/email`)).body.email.email, "fixed@example.com");
    assert.equal(await stateOf(userId), "USER_STATE_INITIAL");
  });

  it("refuses an initialized human (9, COMMAND-2M9sd), unknown users and machines (5, COMMAND-2M9df)", async () => {
    await refused(call("POST", `${api}/users/${await activeHuman()}/_resend_initialization`, {}), 400, 9, "COMMAND-2M9sd");
    for (const other of ["404404", await machine()]) await refused(call("POST", `${api}/users/${other}/_resend_initialization`, {}), 404, 5, "COMMAND-2M9df");
  });
});

describe("SetHumanPassword / SetHumanInitialPassword", () => {
  const passwordOf = async (userId: string) => (await service.store.readStream(`user-${userId}`)).at(-1)!.data as { encodedHash: string; changeRequired: boolean };

  it("stores a scrypt hash that verifies, with changeRequired as asked (always for the initial password)", async () => {
    const userId = await activeHuman();
    assert.equal((await call("POST", `${api}/users/${userId}/password`, { password: "Second!Passw0rd", noChangeRequired: true })).status, 200);
    const second = await passwordOf(userId);
    assert.equal(second.changeRequired, false);
    assert.match(second.encodedHash, /^scrypt:/);
    assert.equal(await verifyPassword("Second!Passw0rd", second.encodedHash), true);

    assert.equal((await call("POST", `${api}/users/${userId}/password`, { password: "Third!Passw0rd" })).status, 200);
    assert.equal((await passwordOf(userId)).changeRequired, true);
    const initial = await call("POST", `${api}/users/${userId}/password/_initialize`, { password: "Fourth!Passw0rd" });
    assert.equal(initial.status, 200);
    assert.equal(initial.body.details.sequence, String((await revisionOf(userId)) + 1));
    assert.deepEqual({ ...(await passwordOf(userId)), encodedHash: "" }, { encodedHash: "", changeRequired: true });
    assert.equal(await stateOf(userId), "USER_STATE_ACTIVE");
  });

  it("refuses a human who has not initialized, as ZITADEL does (9, COMMAND-M9dse): it stays INITIAL", async () => {
    const userId = await initialHuman();
    await refused(call("POST", `${api}/users/${userId}/password/_initialize`, { password: "Initial!Passw0rd" }), 400, 9, "COMMAND-M9dse");
    await refused(call("POST", `${api}/users/${userId}/password`, { password: "Initial!Passw0rd" }), 400, 9, "COMMAND-M9dse");
    assert.equal(await stateOf(userId), "USER_STATE_INITIAL");
  });

  it("checks the complexity policy as AddHumanUser does; refuses unknown users and machines (9, COMMAND-3M0fs)", async () => {
    const userId = await activeHuman();
    await refused(call("POST", `${api}/users/${userId}/password`, { password: "short" }), 400, 3, "COMMA-HuJf6");
    await refused(call("POST", `${api}/users/${userId}/password`, { password: "nouppercase1!" }), 400, 3, "COMMA-VoaRj");
    for (const other of ["404404", await machine()]) await refused(call("POST", `${api}/users/${other}/password`, { password: "Good!Passw0rd" }), 400, 9, "COMMAND-3M0fs");
  });
});

describe("ImportHumanUser", () => {
  const human = (userName: string, extra: Record<string, unknown> = {}) => ({
    userName,
    profile: { firstName: "Im", lastName: "Ported" },
    email: { email: `${userName}@example.com`, isEmailVerified: true },
    ...extra,
  });
  const addedOf = async (userId: string) => (await service.store.readStream(`user-${userId}`))[0]!.data as { encodedHash?: string; changeRequired?: boolean; displayName: string };

  it("imports with a plain password (checked, then hashed): ACTIVE, email verified", async () => {
    const imported = await call("POST", `${api}/users/human/_import`, human("import-plain", { password: "Plain!Passw0rd", passwordChangeRequired: true, phone: { phone: "+41791234567", isPhoneVerified: true } }));
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const read = (await call("GET", `${api}/users/${imported.body.userId}`)).body.user;
    assert.equal(read.state, "USER_STATE_ACTIVE");
    assert.deepEqual(read.details, imported.body.details);
    assert.deepEqual(read.human.email, { email: "import-plain@example.com", isEmailVerified: true });
    assert.deepEqual(read.human.phone, { phone: "+41791234567", isPhoneVerified: true });
    const added = await addedOf(imported.body.userId);
    assert.equal(added.displayName, "Im Ported");
    assert.equal(added.changeRequired, true);
    assert.equal(await verifyPassword("Plain!Passw0rd", added.encodedHash!), true);
  });

  it("imports another system's bcrypt hash as it is, and verifies the password it was made from", async () => {
    const bcrypt = "$2y$10$OQNeQfQOuiqYkyW.qYRQlepeGbVpUUVO5kctmS.TEoZmQVbH5Ugye";
    const imported = await call("POST", `${api}/users/human/_import`, human("import-hashed", { hashedPassword: { value: bcrypt }, passwordChangeRequired: true }));
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.equal(await stateOf(imported.body.userId), "USER_STATE_ACTIVE");
    const added = await addedOf(imported.body.userId);
    assert.deepEqual([added.encodedHash, added.changeRequired], [bcrypt, false], "ZITADEL keeps an imported hash without a required change");
    assert.equal(await verifyPassword("Imp0rted!Pass", added.encodedHash!), true);
  });

  it("without a password is INITIAL and, as in ZITADEL, its email is not marked verified", async () => {
    const imported = await call("POST", `${api}/users/human/_import`, human("import-none"));
    assert.equal(imported.status, 200);
    const read = (await call("GET", `${api}/users/${imported.body.userId}`)).body.user;
    assert.equal(read.state, "USER_STATE_INITIAL");
    assert.deepEqual(read.human.email, { email: "import-none@example.com" });
  });

  it("refuses a taken userName, weak or over-long passwords, unknown hash encodings, both kinds at once, IdP links and passkeys", async () => {
    await call("POST", `${api}/users/human/_import`, human("import-taken"));
    await refused(call("POST", `${api}/users/human/_import`, human("IMPORT-TAKEN")), 409, 6, "V3-DKcYh");
    await refused(call("POST", `${api}/users/human/_import`, human("import-weak", { password: "weak" })), 400, 3, "COMMA-HuJf6");
    await refused(call("POST", `${api}/users/human/_import`, human("import-long", { password: `Aa1!${"x".repeat(69)}` })), 400, 3, "API-pWd72");
    await refused(call("POST", `${api}/users/human/_import`, human("import-md5", { hashedPassword: { value: "$1$salt$hash" } })), 400, 3, "USER-JDk4t");
    await refused(call("POST", `${api}/users/human/_import`, human("import-both", { password: "Plain!Passw0rd", hashedPassword: { value: "$2y$10$x" } })), 400, 3, "COMMAND-3M0fsss");
    await refused(call("POST", `${api}/users/human/_import`, human("import-idp", { idps: [{ configId: "1", externalUserId: "e" }] })), 400, 9, "COMMAND-39nfs");
    await refused(call("POST", `${api}/users/human/_import`, human("import-passkey", { requestPasswordlessRegistration: true })), 501, 12, "API-pWl3s");
    await refused(call("POST", `${api}/users/human/_import`, { ...human("blank"), userName: "   " }), 400, 3, "COMMAND-00p2b");
  });
});

describe("reads of a human's parts", () => {
  it("answer unknown users with 404 and machines with 9, each with its own id", async () => {
    const machineId = await machine();
    const cases = [
      ["profile", "QUERY-HNhb3", "QUERY-WLTce"],
      ["email", "QUERY-Hms2s", "QUERY-pt7HY"],
      ["phone", "QUERY-DAvb3", "QUERY-hliQl"],
    ] as const;
    for (const [part, notFound, notHuman] of cases) {
      await refused(call("GET", `${api}/users/404404/${part}`), 404, 5, notFound);
      await refused(call("GET", `${api}/users/${machineId}/${part}`), 400, 9, notHuman);
    }
  });

  it("do not show a human of another org", async () => {
    const org = (await call("POST", `${api}/orgs`, { name: "Humans Elsewhere" })).body.id as string;
    const elsewhere = await call("POST", `${api}/users/human`, { userName: "elsewhere-human", profile: { firstName: "E", lastName: "W" }, email: { email: "e@example.com" } }, { orgId: org });
    await refused(call("GET", `${api}/users/${elsewhere.body.userId}/profile`), 404, 5, "QUERY-HNhb3");
    await refused(call("PUT", `${api}/users/${elsewhere.body.userId}/profile`, { firstName: "X", lastName: "Y", displayName: "X Y" }), 400, 9, "COMMAND-3M9sd");
  });
});

describe("no escalation", () => {
  it("nobody changes the profile, email, phone or password of a human who holds a role they lack (403, API-Esc4l)", async () => {
    const managerId = await machine();
    await call("POST", `${api}/orgs/me/members`, { userId: managerId, roles: ["ORG_USER_MANAGER"] });
    const as = restClient({ url: service.url, adminToken: (await call("POST", `${api}/users/${managerId}/pats`, {})).body.token });
    const ownerId = await activeHuman();
    await call("POST", `${api}/orgs/me/members`, { userId: ownerId, roles: ["ORG_OWNER"] });
    const attempts = [
      ["PUT", "/profile", { firstName: "X", lastName: "Y", displayName: "X Y" }],
      ["PUT", "/email", { email: "x@example.com", isEmailVerified: true }],
      ["PUT", "/phone", { phone: "+41790000000" }],
      ["POST", "/password", { password: "Taken!Over0" }],
    ] as const;
    for (const [method, path, body] of attempts) await refused(as(method, `${api}/users/${ownerId}${path}`, body), 403, 7, "API-Esc4l");
    assert.equal((await as("PUT", `${api}/users/${await activeHuman()}/profile`, { firstName: "X", lastName: "Y", displayName: "X Y" })).status, 200);
  });
});

describe("the audit log", () => {
  it("shows the new events localized, with codes and password hashes redacted", async () => {
    const userId = await activeHuman();
    await call("POST", `${api}/users/${userId}/password`, { password: "Audited!Passw0rd" });
    await call("PUT", `${api}/users/${userId}/email`, { email: "audited@example.com" });
    await call("PUT", `${api}/users/${userId}/phone`, { phone: "+41791234567" });
    const { status, body } = await call("POST", "/admin/v1/events/_search", { aggregateId: userId, asc: true });
    assert.equal(status, 200);
    const byType = Object.fromEntries(body.events.map((e: any) => [e.type.type, e]));
    assert.deepEqual(byType["user.human.password.changed"].payload, { encodedHash: "[redacted]", changeRequired: true });
    assert.equal(byType["user.human.email.code.added"].payload.code, "[redacted]");
    assert.equal(byType["user.human.phone.code.added"].payload.code, "[redacted]");
    assert.equal(byType["user.human.password.changed"].type.localized.localizedMessage, "Password changed");
    assert.equal(byType["user.human.email.changed"].type.localized.localizedMessage, "Email address changed");
  });
});
