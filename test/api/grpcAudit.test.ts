import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService, ListEventsResponseSchema } from "@zitadel/proto/zitadel/admin_pb.js";
import { ListUserChangesResponseSchema, ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { bearer } from "../support/grpc.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;
let transport: ReturnType<typeof createGrpcTransport>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
  const auth = bearer(service.adminToken);
  transport = createGrpcTransport({ baseUrl: service.url, interceptors: [auth] });
});
after(() => service.dispose());

it("serves the audit over gRPC with REST's answers: ListUserChanges and AdminService.ListEvents", async () => {
  const { userId } = (await call("POST", "/management/v1/users/machine", { userName: "audited", name: "A" })).body;
  await call("PUT", `/management/v1/users/${userId}/machine`, { name: "B" });

  const changes = await createClient(ManagementService, transport).listUserChanges({ userId, query: { asc: true } });
  const restChanges = await call("POST", `/management/v1/users/${userId}/changes/_search`, { query: { asc: true } });
  assert.equal(restChanges.status, 200);
  assert.deepEqual(toJson(ListUserChangesResponseSchema, changes), restChanges.body);
  assert.equal(changes.result.length, 2);

  const events = await createClient(AdminService, transport).listEvents({ asc: true, aggregateId: userId });
  const restEvents = await call("POST", "/admin/v1/events/_search", { asc: true, aggregateId: userId });
  assert.deepEqual(toJson(ListEventsResponseSchema, events), restEvents.body);
  assert.deepEqual(
    events.events.map((e) => e.type?.type),
    ["user.machine.added", "user.machine.changed"],
  );
});

it("answers AdminService methods idledger does not serve with UNIMPLEMENTED", async () => {
  await assert.rejects(createClient(AdminService, transport).listOrgs({}), (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.Unimplemented);
    return true;
  });
});
