import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJson, type DescMessage } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createAccessTokenInterceptor, createManagementClient } from "@zitadel/node/dist/api/index.js";
import * as sdk from "@zitadel/node/dist/api/generated/zitadel/management.js";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { ErrorDetailSchema } from "@zitadel/proto/zitadel/message_pb.js";
import { ClientError, Metadata } from "nice-grpc";
import { restClient, startTestService, type TestService } from "../support/service.js";

/**
 * The same calls through every RPC client ZITADEL's users have: ZITADEL's own Node SDK
 * (@zitadel/node: nice-grpc, gRPC over h2c), and connect-node's gRPC-web and Connect transports
 * over HTTP/1.1 and HTTP/2. Every answer is compared with what REST says about the same thing.
 */

/** What a call answered, in REST's JSON shape, whatever client made it. */
type Outcome = { readonly ok: any } | { readonly error: { readonly code: number; readonly message: string; readonly ids: string[] } };

/** Calls a ManagementService method by its local name (`addMachineUser`), with extra metadata. */
type Caller = (method: string, request: object, headers?: Record<string, string>) => Promise<Outcome>;

let service: TestService;
let rest: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  rest = restClient(service);
});
after(() => service.dispose());

/** ts-proto writes a Timestamp as `Date.toISOString()`, a whole second as ".000Z"; protojson (and REST) without the fraction. */
const asProtojson = (json: unknown): unknown =>
  JSON.parse(JSON.stringify(json), (_key, value: unknown) => (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/.test(value) ? value.replace(".000Z", "Z") : value));

/** @zitadel/node: ts-proto messages, whose `toJSON` is protojson but for whole seconds (above), so REST's JSON compares directly. */
function zitadelSdk(): Caller {
  const client = createManagementClient(new URL(service.url).host, createAccessTokenInterceptor(service.adminToken));
  return async (method, request, headers = {}) => {
    let trailer = new Metadata();
    try {
      const name = method[0]!.toUpperCase() + method.slice(1);
      const call = (client as unknown as Record<string, (r: object, o: object) => Promise<unknown>>)[method]!;
      const codec = (sdk as unknown as Record<string, { toJSON(m: unknown): unknown }>)[`${name}Response`]!;
      const response = await call(request, { metadata: Metadata(headers), onTrailer: (t: Metadata) => (trailer = t) });
      return { ok: asProtojson(codec.toJSON(response)) };
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      // What an SDK user does to read ZITADEL's error id: decode grpc-status-details-bin.
      const details = trailer.get("grpc-status-details-bin") as Uint8Array | undefined;
      const status = details && findTrailerError(new Headers({ "grpc-status-details-bin": Buffer.from(details).toString("base64") }));
      return { error: { code: error.code, message: error.details, ids: status ? errorIds(status) : [] } };
    }
  };
}

/** connect-node's transports: protobuf-es messages, turned into protojson. */
function connectClient(transport: (interceptors: Interceptor[]) => Transport): Caller {
  const bearer: Interceptor = (next) => (req) => {
    if (!req.header.has("authorization")) req.header.set("authorization", `Bearer ${service.adminToken}`);
    return next(req);
  };
  const client = createClient(ManagementService, transport([bearer])) as unknown as Record<string, (r: object, o: object) => Promise<unknown>>;
  return async (method, request, headers = {}) => {
    const output = ManagementService.methods.find((m) => m.localName === method)!.output;
    try {
      return { ok: toJson(output as DescMessage, (await client[method]!(request, { headers })) as never) };
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      return { error: { code: error.code, message: error.rawMessage, ids: errorIds(error) } };
    }
  };
}

const errorIds = (error: ConnectError) => error.findDetails(ErrorDetailSchema).map((detail) => detail.id);

const ok = (outcome: Outcome) => {
  if ("error" in outcome) assert.fail(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome.ok;
};

const clients: ReadonlyArray<readonly [string, () => Caller]> = [
  ["gRPC over h2c, @zitadel/node", zitadelSdk],
  ["gRPC-web over HTTP/1.1", () => connectClient((interceptors) => createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1", interceptors }))],
  ["Connect (JSON) over HTTP/1.1", () => connectClient((interceptors) => createConnectTransport({ baseUrl: service.url, httpVersion: "1.1", interceptors }))],
  [
    "Connect (binary) over HTTP/2",
    () => connectClient((interceptors) => createConnectTransport({ baseUrl: service.url, httpVersion: "2", useBinaryFormat: true, interceptors })),
  ],
];

for (const [name, makeCaller] of clients) {
  describe(name, () => {
    let call: Caller;
    const unique = `${name.replace(/\W+/g, "-")}-${Date.now()}`;
    before(() => {
      call = makeCaller();
    });

    it("adds, updates and reads a machine user; the details read back identically over REST", async () => {
      const added = ok(await call("addMachineUser", { userName: `machine-${unique}`, name: "Reporter", description: "reports" }));
      assert.match(added.userId, /^\d+$/);
      assert.equal(added.details.sequence, "1");

      const updated = ok(await call("updateMachine", { userId: added.userId, name: "Reporter 2", description: "reports more" }));
      assert.equal(updated.details.sequence, "2");
      assert.equal(updated.details.creationDate, added.details.creationDate);

      const secret = ok(await call("generateMachineSecret", { userId: added.userId }));
      assert.equal(secret.clientId, `machine-${unique}`);
      assert.equal(secret.clientSecret.length, 64);
      assert.equal(secret.details.sequence, "3");

      const read = ok(await call("getUserByID", { id: added.userId }));
      assert.deepEqual(read.user.details, secret.details);
      assert.deepEqual(read.user.machine, { name: "Reporter 2", description: "reports more", hasSecret: true });
      const overRest = await rest("GET", `/management/v1/users/${added.userId}`);
      assert.equal(overRest.status, 200);
      assert.deepEqual(overRest.body, read);
    });

    it("adds a human user that reads back identically over REST", async () => {
      const added = ok(
        await call("addHumanUser", {
          userName: `human-${unique}`,
          profile: { firstName: "Ada", lastName: "Lovelace", preferredLanguage: "en" },
          email: { email: "ada@example.com", isEmailVerified: true },
          initialPassword: "Password1!",
        }),
      );
      const read = ok(await call("getUserByID", { id: added.userId }));
      assert.deepEqual(read.user.details, added.details);
      assert.equal(read.user.state, "USER_STATE_ACTIVE");
      assert.deepEqual(read.user.human.email, { email: "ada@example.com", isEmailVerified: true });
      assert.equal(read.user.human.profile.displayName, "Ada Lovelace");
      assert.deepEqual((await rest("GET", `/management/v1/users/${added.userId}`)).body, read);
    });

    it("works in the org named by x-zitadel-orgid metadata", async () => {
      const org = await rest("POST", "/management/v1/orgs", { name: `org-${unique}` });
      const added = ok(await call("addMachineUser", { userName: `in-org-${unique}`, name: "Org bot" }, { "x-zitadel-orgid": org.body.id }));
      assert.equal(added.details.resourceOwner, org.body.id);
    });

    it("walks a user through its life (lock, unlock, deactivate, reactivate, rename, remove), reading as REST does", async () => {
      const { userId } = ok(await call("addMachineUser", { userName: `life-${unique}`, name: "Life" }));
      const state = async () => {
        const read = ok(await call("getUserByID", { id: userId }));
        assert.deepEqual((await rest("GET", `/management/v1/users/${userId}`)).body, read);
        return read.user.state;
      };
      ok(await call("lockUser", { id: userId }));
      assert.equal(await state(), "USER_STATE_LOCKED");
      const again = await call("lockUser", { id: userId });
      assert.ok("error" in again && again.error.code === 9 && again.error.ids[0] === "COMMAND-3NN8v");
      ok(await call("unlockUser", { id: userId }));
      ok(await call("deactivateUser", { id: userId }));
      assert.equal(await state(), "USER_STATE_INACTIVE");
      ok(await call("reactivateUser", { id: userId }));
      ok(await call("updateUserName", { userId, userName: `renamed-${unique}` }));
      assert.equal(await state(), "USER_STATE_ACTIVE");
      const removed = ok(await call("removeUser", { id: userId }));
      assert.equal(removed.details.sequence, "7");
      const gone = await call("getUserByID", { id: userId });
      assert.ok("error" in gone && gone.error.code === 5);
    });

    it("removes a machine's secret and a token, lists and reads its tokens, as REST answers them", async () => {
      const { userId } = ok(await call("addMachineUser", { userName: `creds-${unique}`, name: "Creds" }));
      ok(await call("generateMachineSecret", { userId }));
      ok(await call("removeMachineSecret", { userId }));
      const noSecret = await call("removeMachineSecret", { userId });
      assert.ok("error" in noSecret && noSecret.error.code === 9 && noSecret.error.ids[0] === "COMMAND-coi82n");

      const kept = ok(await call("addPersonalAccessToken", { userId }));
      const doomed = ok(await call("addPersonalAccessToken", { userId }));
      const removed = ok(await call("removePersonalAccessToken", { userId, tokenId: doomed.tokenId }));
      assert.equal(removed.details.sequence, "6");
      const listed = ok(await call("listPersonalAccessTokens", { userId }));
      assert.deepEqual(listed.result.map((token: { id: string }) => token.id), [kept.tokenId]);
      // ts-proto writes a whole second as ".000Z", protojson without: compare the instants.
      const instants = (tokens: { expirationDate: string; details: { creationDate: string; changeDate: string } }[]) =>
        tokens.map((token) => ({
          ...token,
          expirationDate: Date.parse(token.expirationDate),
          details: { ...token.details, creationDate: Date.parse(token.details.creationDate), changeDate: Date.parse(token.details.changeDate) },
        }));
      const overRest = await rest("POST", `/management/v1/users/${userId}/pats/_search`, {});
      assert.deepEqual(instants(overRest.body.result), instants(listed.result));
      assert.equal(listed.details.totalResult, "1");
      const got = ok(await call("getPersonalAccessTokenByIDs", { userId, tokenId: kept.tokenId }));
      assert.deepEqual(got.token, listed.result[0]);
      const gone = await call("getPersonalAccessTokenByIDs", { userId, tokenId: doomed.tokenId });
      assert.ok("error" in gone && gone.error.code === 5 && gone.error.ids[0] === "QUERY-fRunu");
    });

    it("sets, reads, lists and removes a user's metadata, bytes and all, as REST answers it", async () => {
      const { userId } = ok(await call("addMachineUser", { userName: `meta-${unique}`, name: "Meta" }));
      ok(await call("setUserMetadata", { id: userId, key: "one", value: Buffer.from("1") }));
      ok(await call("bulkSetUserMetadata", { id: userId, metadata: [{ key: "two", value: Buffer.from("2") }, { key: "three", value: Buffer.from([0, 255]) }] }));
      const same = await call("setUserMetadata", { id: userId, key: "one", value: Buffer.from("1") });
      assert.ok("error" in same && same.error.code === 9 && same.error.ids[0] === "API-mEtnC");

      const got = ok(await call("getUserMetadata", { id: userId, key: "three" }));
      assert.equal(got.metadata.value, Buffer.from([0, 255]).toString("base64"));
      assert.deepEqual((await rest("GET", `/management/v1/users/${userId}/metadata/three`)).body, got);
      const listed = ok(await call("listUserMetadata", { id: userId, query: { limit: 2 } }));
      assert.deepEqual(listed.result.map((entry: { key: string }) => entry.key), ["one", "three"]);
      assert.equal(listed.details.totalResult, "3");
      assert.deepEqual((await rest("POST", `/management/v1/users/${userId}/metadata/_search`, { query: { limit: 2 } })).body.result, listed.result);

      ok(await call("removeUserMetadata", { id: userId, key: "one" }));
      const removed = ok(await call("bulkRemoveUserMetadata", { id: userId, keys: ["two", "three"] }));
      assert.equal(removed.details.sequence, "7");
      const unknown = await call("bulkRemoveUserMetadata", { id: userId, keys: ["two"] });
      assert.ok("error" in unknown && unknown.error.code === 5 && unknown.error.ids[0] === "META-2nnds");
      const gone = await call("getUserMetadata", { id: userId, key: "one" });
      assert.ok("error" in gone && gone.error.code === 5 && gone.error.ids[0] === "QUERY-Rgh32");
    });

    it("changes a human's profile, email, phone and password, imports one, and reads the parts as REST does", async () => {
      const { userId } = ok(
        await call("addHumanUser", {
          userName: `parts-${unique}`,
          profile: { firstName: "Par", lastName: "Ts" },
          email: { email: "parts@example.com", isEmailVerified: true },
          initialPassword: "Password1!",
        }),
      );
      const profile = ok(await call("updateHumanProfile", { userId, firstName: "Par", lastName: "Ts", displayName: "Parts", nickName: "p" }));
      const readProfile = ok(await call("getHumanProfile", { userId }));
      assert.deepEqual(readProfile.details, profile.details);
      assert.equal(readProfile.profile.nickName, "p");
      assert.deepEqual((await rest("GET", `/management/v1/users/${userId}/profile`)).body, readProfile);
      const unchanged = await call("updateHumanProfile", { userId, firstName: "Par", lastName: "Ts", displayName: "Parts", nickName: "p" });
      assert.ok("error" in unchanged && unchanged.error.code === 9 && unchanged.error.ids[0] === "COMMAND-2M0fs");

      ok(await call("updateHumanEmail", { userId, email: "parts2@example.com", isEmailVerified: true }));
      assert.deepEqual(ok(await call("getHumanEmail", { userId })).email, { email: "parts2@example.com", isEmailVerified: true });
      ok(await call("updateHumanPhone", { userId, phone: "+41791234567", isPhoneVerified: true }));
      assert.deepEqual(ok(await call("getHumanPhone", { userId })).phone, { phone: "+41791234567", isPhoneVerified: true });
      ok(await call("removeHumanPhone", { userId }));
      const noPhone = await call("removeHumanPhone", { userId });
      assert.ok("error" in noPhone && noPhone.error.code === 5 && noPhone.error.ids[0] === "COMMAND-p6rsc");
      ok(await call("setHumanPassword", { userId, password: "Password2!", noChangeRequired: true }));
      const initialPassword = ok(await call("setHumanInitialPassword", { userId, password: "Password3!" }));
      assert.deepEqual(ok(await call("getUserByID", { id: userId })).user.details, initialPassword.details);
      const resend = await call("resendHumanInitialization", { userId });
      assert.ok("error" in resend && resend.error.code === 9 && resend.error.ids[0] === "COMMAND-2M9sd");

      const imported = ok(
        await call("importHumanUser", {
          userName: `imported-${unique}`,
          profile: { firstName: "Im", lastName: "Ported" },
          email: { email: "imported@example.com", isEmailVerified: true },
          hashedPassword: { value: "$2y$10$OQNeQfQOuiqYkyW.qYRQlepeGbVpUUVO5kctmS.TEoZmQVbH5Ugye" },
        }),
      );
      assert.equal(ok(await call("getUserByID", { id: imported.userId })).user.state, "USER_STATE_ACTIVE");
      const taken = await call("importHumanUser", { userName: `imported-${unique}`, profile: { firstName: "I", lastName: "P" }, email: { email: "i@example.com" } });
      assert.ok("error" in taken && taken.error.code === 6);
    });

    it("answers the health check without credentials", async () => {
      assert.deepEqual(ok(await call("healthz", {}, { authorization: "" })), {});
    });

    it("answers errors with REST's code and message, and the error id in zitadel.v1.ErrorDetail", async () => {
      ok(await call("addMachineUser", { userName: `taken-${unique}`, name: "First" }));
      const cases = [
        { code: 3, method: "addMachineUser", request: { userName: "", name: "x" }, rest: ["POST", "/management/v1/users/machine", { userName: "", name: "x" }] },
        {
          code: 3,
          id: "COMMA-VoaRj",
          method: "addHumanUser",
          request: { userName: `weak-${unique}`, profile: { firstName: "W", lastName: "P" }, email: { email: "w@example.com" }, initialPassword: "password1!" },
          rest: ["POST", "/management/v1/users/human", { userName: `weak-${unique}`, profile: { firstName: "W", lastName: "P" }, email: { email: "w@example.com" }, initialPassword: "password1!" }],
        },
        { code: 5, id: "QUERY-Dfbg2", method: "getUserByID", request: { id: "404" }, rest: ["GET", "/management/v1/users/404"] },
        { code: 5, id: "COMMAND-5M0od", method: "updateMachine", request: { userId: "404", name: "n" }, rest: ["PUT", "/management/v1/users/404/machine", { name: "n" }] },
        { code: 6, id: "V3-DKcYh", method: "addMachineUser", request: { userName: `taken-${unique}`, name: "Second" }, rest: ["POST", "/management/v1/users/machine", { userName: `taken-${unique}`, name: "Second" }] },
        { code: 7, id: "AUTH-Bs7Ds", method: "getUserByID", request: { id: "1" }, headers: { "x-zitadel-orgid": "404" }, rest: ["GET", "/management/v1/users/1", undefined, { orgId: "404" }] },
        { code: 16, method: "getUserByID", request: { id: "1" }, headers: { authorization: "" }, rest: ["GET", "/management/v1/users/1", undefined, { token: null }] },
        { code: 16, id: "AUTH-7fs1e", method: "getUserByID", request: { id: "1" }, headers: { authorization: "Bearer nope" }, rest: ["GET", "/management/v1/users/1", undefined, { token: "nope" }] },
        { code: 12, method: "listProjects", request: {}, rest: ["POST", "/management/v1/projects/_search", {}] },
      ] as const;
      for (const c of cases) {
        const overRest = await rest(...(c.rest as unknown as Parameters<typeof rest>));
        const outcome = await call(c.method, c.request, "headers" in c ? c.headers : {});
        const label = `${c.method} → ${c.code}`;
        assert.ok("error" in outcome, `${label}: expected an error`);
        assert.equal(outcome.error.code, c.code, label);
        assert.equal(overRest.body.code, c.code, label);
        assert.equal(outcome.error.message, overRest.body.message, label);
        assert.deepEqual(outcome.error.ids, overRest.body.details.map((d: { id: string }) => d.id), label);
        assert.deepEqual(outcome.error.ids, "id" in c ? [c.id] : [], label);
      }
    });
  });
}
