import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { create, toJson } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ListUsersResponseSchema, ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { ErrorDetailSchema } from "@zitadel/proto/zitadel/message_pb.js";
import { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import { bearer } from "../support/grpc.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { add } from "../contract/listUsers.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let grpc: ReturnType<typeof createClient<typeof ManagementService>>;
let orgId: string;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  const auth = bearer(service.adminToken);
  grpc = createClient(ManagementService, createGrpcTransport({ baseUrl: service.url, interceptors: [auth] }));
  orgId = (await call("POST", "/management/v1/orgs", { name: `search-${randomUUID()}` })).body.id;
});
after(() => service.dispose());

const search = (body: unknown, options: { token?: string } = {}) => call("POST", "/management/v1/users/_search", body, { orgId, ...options });

const refused = async (response: Promise<{ status: number; body: any }>, status: number, code: number, id?: string) => {
  const { status: actual, body } = await response;
  assert.equal(actual, status, JSON.stringify(body));
  assert.equal(body.code, code);
  if (id) assert.equal(body.details[0].id, id);
};

/** A query nested `depth` levels below the top: `not` around `not` ... around a userName query. */
const nested = (depth: number): object => (depth === 0 ? { userNameQuery: { userName: "x", method: "TEXT_QUERY_METHOD_CONTAINS" } } : { notQuery: { query: nested(depth - 1) } });

describe("ListUsers refusals, as ZITADEL's", () => {
  it("takes queries nested 20 levels deep, refuses 21 (USER-zsQ97)", async () => {
    assert.equal((await search({ queries: [nested(20)] })).status, 200);
    await refused(search({ queries: [nested(21)] }), 400, 3, "USER-zsQ97");
    await refused(search({ queries: [{ orQuery: { queries: [{ andQuery: { queries: [nested(20)] } }] } }] }), 400, 3, "USER-zsQ97");
  });

  it("refuses a nesting far past the limit with a 400, never a 500 (REST and gRPC)", async () => {
    for (const depth of [1000, 100_000]) {
      const raw = `{"queries":[${'{"notQuery":{"query":'.repeat(depth)}{"userNameQuery":{"userName":"x"}}${"}}".repeat(depth)}]}`;
      await refused(call("POST", "/management/v1/users/_search", undefined, { orgId, raw }), 400, 3);
    }
    // The Connect protocol with a JSON body, as a client that builds it by hand sends it.
    const body = `{"queries":[${'{"notQuery":{"query":'.repeat(100_000)}{"userNameQuery":{"userName":"x"}}${"}}".repeat(100_000)}]}`;
    const response = await fetch(`${service.url}/zitadel.management.v1.ManagementService/ListUsers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${service.adminToken}` },
      body,
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, "invalid_argument");
  });

  it("lists 100 for a limit of 0, takes 1000, refuses 1001 (QUERY-4M0fs)", async () => {
    const own = (await call("POST", "/management/v1/orgs", { name: `many-${randomUUID()}` })).body.id as string;
    for (let i = 0; i < 101; i++) await add(call, own, { userName: `many-${i}-${randomUUID()}` });
    const page = await call("POST", "/management/v1/users/_search", {}, { orgId: own });
    assert.equal(page.body.result.length, 100);
    assert.equal(page.body.details.totalResult, "101");
    assert.equal((await call("POST", "/management/v1/users/_search", { query: { limit: 1000 } }, { orgId: own })).body.result.length, 101);
    await refused(search({ query: { limit: 1001 } }), 400, 3, "QUERY-4M0fs");
  });

  it("refuses a query of no kind and an empty or/and (GRPC-vR9nC), and more than 1000 terms (API-uSq7t)", async () => {
    await refused(search({ queries: [{}] }), 400, 3, "GRPC-vR9nC");
    await refused(search({ queries: [{ orQuery: { queries: [] } }] }), 400, 3, "GRPC-vR9nC");
    await refused(search({ queries: [{ notQuery: {} }] }), 400, 3, "GRPC-vR9nC");
    await refused(search({ queries: [{ inUserIdsQuery: { userIds: Array.from({ length: 1001 }, (_, i) => String(i)) } }] }), 400, 3, "API-uSq7t");
    await refused(search({ queries: Array.from({ length: 1001 }, () => ({ typeQuery: { type: "TYPE_HUMAN" } })) }), 400, 3, "API-uSq7t");
  });

  it("checks the descriptors' rules: an unknown method or state is refused", async () => {
    await refused(search({ queries: [{ userNameQuery: { userName: "x", method: 99 } }] }), 400, 3);
    await refused(search({ queries: [{ userNameQuery: { userName: "x".repeat(201) } }] }), 400, 3);
  });

  it("needs user.read in the org", async () => {
    const created = await call("POST", "/management/v1/users/machine", { userName: `no-roles-${randomUUID()}`, name: "N" });
    const pat = await call("POST", `/management/v1/users/${created.body.userId}/pats`, {});
    await refused(search({}, { token: pat.body.token }), 403, 7, "AUTH-5mWD2");
  });
});

describe("ListUsers over gRPC", () => {
  it("answers exactly what REST answers", async () => {
    const userName = `grpc-${randomUUID()}`;
    await add(call, orgId, { userName, human: { firstName: "Grace", lastName: "Hopper", email: "grace@example.com" } });
    const queries = [{ query: { case: "userNameQuery" as const, value: { userName: "GRPC-", method: TextQueryMethod.STARTS_WITH_IGNORE_CASE } } }];
    const overGrpc = await grpc.listUsers({ queries, query: { limit: 10 } }, { headers: { "x-zitadel-orgid": orgId } });
    const overRest = await search({ queries: [{ userNameQuery: { userName: "GRPC-", method: "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE" } }], query: { limit: 10 } });
    const json = toJson(ListUsersResponseSchema, create(ListUsersResponseSchema, overGrpc)) as any;
    assert.deepEqual(json.result, overRest.body.result);
    assert.equal(json.details.totalResult, "1");
    assert.equal(json.result[0].userName, userName);
  });

  it("refuses with ZITADEL's error id in the status details", async () => {
    const error = await grpc.listUsers({ query: { limit: 1001 } }).then(
      () => assert.fail("expected a refusal"),
      (thrown: unknown) => thrown as ConnectError,
    );
    assert.equal(error.code, 3);
    assert.deepEqual(
      error.findDetails(ErrorDetailSchema).map((detail) => detail.id),
      ["QUERY-4M0fs"],
    );
  });
});
