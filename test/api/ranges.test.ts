import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

/**
 * Timestamps beyond protobuf's range and 64-bit integers beyond what a handler can hold are bad
 * input: 400 / INVALID_ARGUMENT naming the field, never a 500, and nothing appended.
 */
let service: TestService;
let call: ReturnType<typeof restClient>;
let robotId: string;
before(async () => {
  service = await startTestService();
  call = restClient(service);
  robotId = (await call("POST", "/management/v1/users/machine", { userName: "ranges", name: "Ranges" })).body.userId;
});
after(() => service.dispose());

const sequenceOfRobot = async () => (await call("GET", `/management/v1/users/${robotId}`)).body.user.details.sequence;

const transports: ReadonlyArray<readonly [string, (interceptors: Interceptor[]) => Transport]> = [
  ["Connect (JSON) over HTTP/1.1", (interceptors) => createConnectTransport({ baseUrl: service.url, httpVersion: "1.1", interceptors })],
  ["gRPC over h2c", (interceptors) => createGrpcTransport({ baseUrl: service.url, interceptors })],
];

for (const [name, transport] of transports) {
  describe(`out-of-range input over ${name}`, () => {
    const client = () => {
      const bearer: Interceptor = (next) => (req) => {
        req.header.set("authorization", `Bearer ${service.adminToken}`);
        return next(req);
      };
      return createClient(ManagementService, transport([bearer]));
    };
    const refusal = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        assert.ok(error instanceof ConnectError, String(error));
        return { code: error.code, message: error.rawMessage };
      }
      assert.fail("expected the call to be refused");
    };

    it("AddPersonalAccessToken expiring at seconds = 1e15 is INVALID_ARGUMENT, and nothing is appended", async () => {
      const before = await sequenceOfRobot();
      const refused = await refusal(client().addPersonalAccessToken({ userId: robotId, expirationDate: { seconds: 1_000_000_000_000_000n, nanos: 0 } }));
      assert.deepEqual(refused, {
        code: 3,
        message: "invalid AddPersonalAccessTokenRequest.ExpirationDate: value must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
      });
      assert.equal(await sequenceOfRobot(), before);
    });

    it("ListUserChanges from a sequence beyond 2^53 is INVALID_ARGUMENT", async () => {
      const refused = await refusal(client().listUserChanges({ userId: robotId, query: { sequence: 2n ** 64n - 1n } }));
      assert.equal(refused.code, 3);
      assert.match(refused.message, /ChangeQuery\.Sequence: value must be between 0 and 9007199254740991/);
    });
  });
}

describe("out-of-range input over REST", () => {
  it("a Timestamp beyond 9999-12-31 is 400 with code 3", async () => {
    const refused = await call("POST", `/management/v1/users/${robotId}/pats`, { expirationDate: "10000-01-01T00:00:00Z" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 3);
  });

  it("a ChangeQuery sequence beyond 2^53 is 400 naming the field", async () => {
    const refused = await call("POST", `/management/v1/users/${robotId}/changes/_search`, { query: { sequence: "18446744073709551615" } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 3);
    assert.match(refused.body.message, /ChangeQuery\.Sequence: value must be between 0 and 9007199254740991/);
  });
});
