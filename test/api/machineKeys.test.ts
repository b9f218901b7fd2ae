import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createAccessTokenInterceptor, createManagementClient } from "@zitadel/node/dist/api/index.js";
import { KeyType } from "@zitadel/node/dist/api/generated/zitadel/auth_n_key.js";
import { ClientError, Metadata } from "nice-grpc";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

const machine = async (userName: string, orgId?: string) => {
  const created = await call("POST", "/management/v1/users/machine", { userName, name: "Keyed" }, orgId ? { orgId } : {});
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.userId as string;
};
const publicKeyPem = (type: "rsa" | "ec" = "rsa") =>
  (type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey
  ).export({ type: "spki", format: "pem" }) as string;
const b64 = (text: string) => Buffer.from(text).toString("base64");
const errorId = (body: any) => body.details?.[0]?.id;

describe("AddMachineKey", () => {
  it("generates a pair, returns ZITADEL's key file once, and records only the public key", async () => {
    const userId = await machine("keyed-generated");
    const added = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON" });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.match(added.body.keyId, /^\d+$/);
    const file = JSON.parse(Buffer.from(added.body.keyDetails, "base64").toString("utf8"));
    assert.deepEqual(Object.keys(file), ["type", "keyId", "key", "expirationDate", "userId"]);
    assert.equal(file.type, "serviceaccount");
    assert.equal(file.keyId, added.body.keyId);
    assert.equal(file.userId, userId);
    assert.equal(file.expirationDate, "9999-12-31T23:59:59Z");
    assert.match(file.key, /^-----BEGIN RSA PRIVATE KEY-----\n/);

    const events = await service.store.readStream(`user-${userId}`);
    const keyAdded = events.find((e) => e.type === "user.machine.key.added")!;
    const data = keyAdded.data as { publicKey: string; keyId: string; type: number };
    assert.equal(data.keyId, added.body.keyId);
    assert.equal(data.type, 1);
    assert.match(Buffer.from(data.publicKey, "base64").toString(), /^-----BEGIN PUBLIC KEY-----/);
    const body = file.key.split("\n").slice(1, -2).join("");
    const logged = JSON.stringify(events.map((e) => e.data));
    assert.ok(!logged.includes(body.slice(0, 40)), "no part of the private key is in the log");
    assert.ok(!logged.includes("PRIVATE KEY"));

    // Every event of the user's stream moves its details, so a read agrees with the write.
    const user = await call("GET", `/management/v1/users/${userId}`);
    assert.deepEqual(user.body.user.details, added.body.details);
  });

  it("stores a supplied RSA public key and answers without key details", async () => {
    const userId = await machine("keyed-supplied");
    const expirationDate = "2031-05-06T07:08:09Z";
    const added = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON", publicKey: b64(publicKeyPem()), expirationDate });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.keyDetails, undefined);
    const read = await call("GET", `/management/v1/users/${userId}/keys/${added.body.keyId}`);
    assert.equal(read.status, 200);
    // A key's own details: the sequence of its event, created and changed when it was added.
    const { sequence, changeDate, resourceOwner } = added.body.details;
    assert.deepEqual(read.body.key, { id: added.body.keyId, details: { sequence, creationDate: changeDate, changeDate, resourceOwner }, type: "KEY_TYPE_JSON", expirationDate });
  });

  it("refuses an expiration date in the past (DOMAIN-dv3t5), a key that is not an RSA PEM (COMMAND-5F3h1), one under 2048 or over 8192 bits (API-kEySz), and no type", async () => {
    const userId = await machine("keyed-refused");
    const past = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON", expirationDate: "2020-01-01T00:00:00Z" });
    assert.equal(past.status, 400);
    assert.equal(errorId(past.body), "DOMAIN-dv3t5");
    for (const bad of [publicKeyPem("ec"), "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]) {
      const refused = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON", publicKey: b64(bad) });
      assert.equal(refused.status, 400, bad);
      assert.equal(errorId(refused.body), "COMMAND-5F3h1");
    }
    // A public key needs no primes: a random odd modulus of the right length is one.
    const ofBits = (bits: number) => {
      const n = randomBytes(bits / 8);
      n[0]! |= 0x80;
      n[n.length - 1]! |= 1;
      return createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: "AQAB" }, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
    };
    for (const bits of [1024, 2040, 8200]) {
      const refused = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON", publicKey: b64(ofBits(bits)) });
      assert.equal(refused.status, 400, String(bits));
      assert.equal(errorId(refused.body), "API-kEySz");
    }
    const untyped = await call("POST", `/management/v1/users/${userId}/keys`, {});
    assert.equal(untyped.status, 400);
    assert.deepEqual(untyped.body, { code: 3, message: "invalid AddMachineKeyRequest.Type: value must not be in list [0]", details: [] });
    const events = await service.store.readStream(`user-${userId}`);
    assert.deepEqual(events.map((e) => e.type), ["user.machine.added"], "nothing refused was written");
  });

  it("refuses an unknown user, a human, and a user of another org (COMMAND-bnipwm1)", async () => {
    const human = await call("POST", "/management/v1/users/human", {
      userName: "keyed-human",
      profile: { firstName: "H", lastName: "U" },
      email: { email: "h@example.com", isEmailVerified: true },
      initialPassword: "Secr3t!Passw0rd",
    });
    const org = await call("POST", "/management/v1/orgs", { name: "Key Org" });
    const elsewhere = await machine("keyed-elsewhere", org.body.id);
    for (const userId of ["404404", human.body.userId, elsewhere]) {
      const refused = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON" });
      assert.equal(refused.status, 400, userId);
      assert.equal(refused.body.code, 9);
      assert.equal(errorId(refused.body), "COMMAND-bnipwm1");
    }
  });
});

describe("ListMachineKeys, GetMachineKeyByIDs, RemoveMachineKey", () => {
  it("lists keys oldest first, removes one, and then no longer finds it", async () => {
    const userId = await machine("keyed-list");
    const first = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON" });
    const second = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON", publicKey: b64(publicKeyPem()) });
    const listed = await call("POST", `/management/v1/users/${userId}/keys/_search`, {});
    assert.equal(listed.status, 200);
    assert.equal(listed.body.details.totalResult, "2");
    assert.deepEqual(listed.body.result.map((k: { id: string }) => k.id), [first.body.keyId, second.body.keyId]);
    const paged = await call("POST", `/management/v1/users/${userId}/keys/_search`, { query: { offset: "1", limit: 1 } });
    assert.deepEqual(paged.body.result.map((k: { id: string }) => k.id), [second.body.keyId]);

    const removed = await call("DELETE", `/management/v1/users/${userId}/keys/${first.body.keyId}`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.details.sequence, String(Number(second.body.details.sequence) + 1));
    const gone = await call("GET", `/management/v1/users/${userId}/keys/${first.body.keyId}`);
    assert.equal(gone.status, 404);
    assert.equal(errorId(gone.body), "QUERY-Dgr3g");
    const again = await call("DELETE", `/management/v1/users/${userId}/keys/${first.body.keyId}`);
    assert.equal(again.status, 404);
    assert.equal(errorId(again.body), "COMMAND-4m77G");
    const after = await call("POST", `/management/v1/users/${userId}/keys/_search`, {});
    assert.deepEqual(after.body.result.map((k: { id: string }) => k.id), [second.body.keyId]);
  });

  it("does not show or remove a key from another org", async () => {
    const userId = await machine("keyed-private");
    const added = await call("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON" });
    const org = await call("POST", "/management/v1/orgs", { name: "Nosy Org" });
    const read = await call("GET", `/management/v1/users/${userId}/keys/${added.body.keyId}`, undefined, { orgId: org.body.id });
    assert.equal(read.status, 404);
    const list = await call("POST", `/management/v1/users/${userId}/keys/_search`, {}, { orgId: org.body.id });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.result ?? [], []);
    const remove = await call("DELETE", `/management/v1/users/${userId}/keys/${added.body.keyId}`, undefined, { orgId: org.body.id });
    assert.equal(remove.status, 404);
  });
});

describe("machine keys over gRPC (@zitadel/node)", () => {
  it("adds, reads, lists and removes with the same answers as REST", async () => {
    const client = createManagementClient(new URL(service.url).host, createAccessTokenInterceptor(service.adminToken));
    const { userId } = await client.addMachineUser({ userName: "keyed-grpc", name: "Keyed", description: "", accessTokenType: 0 });
    const added = await client.addMachineKey({ userId, type: KeyType.KEY_TYPE_JSON, publicKey: Buffer.alloc(0) });
    const file = JSON.parse(Buffer.from(added.keyDetails).toString("utf8"));
    assert.equal(file.keyId, added.keyId);
    const { key } = await client.getMachineKeyByIDs({ userId, keyId: added.keyId });
    const rest = await call("GET", `/management/v1/users/${userId}/keys/${added.keyId}`);
    assert.equal(key?.id, rest.body.key.id);
    assert.equal(String(key?.details?.sequence), rest.body.key.details.sequence);
    assert.equal(key?.expirationDate?.toISOString(), "9999-12-31T23:59:59.000Z");
    const listed = await client.listMachineKeys({ userId });
    assert.deepEqual(listed.result.map((k) => k.id), [added.keyId]);
    await client.removeMachineKey({ userId, keyId: added.keyId });
    await assert.rejects(client.getMachineKeyByIDs({ userId, keyId: added.keyId }, { metadata: Metadata() }), (error: unknown) => {
      assert.ok(error instanceof ClientError);
      assert.equal(error.code, 5);
      assert.match(error.details, /QUERY-Dgr3g/);
      return true;
    });
  });
});
