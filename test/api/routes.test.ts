import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import { routesOf } from "../../src/api/rest.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let rest: ReturnType<typeof restClient>;
let grpc: Client<typeof ManagementService>;

before(async () => {
  service = await startTestService();
  rest = restClient(service);
  grpc = createClient(ManagementService, createGrpcTransport({ baseUrl: service.url }));
});
after(() => service.dispose());

it("has a REST route for every method of ManagementService, each its own", () => {
  const routes = routesOf(ManagementService.methods);
  assert.deepEqual(new Set(routes.map((r) => r.method.name)), new Set(ManagementService.methods.map((m) => m.name)));
  assert.equal(new Set(routes.map((r) => `${r.verb} ${r.path.replace(/[:*]\w+/g, "{}")}`)).size, routes.length);
});

it("serves a method over REST exactly when it serves it over gRPC, and answers every other one UNIMPLEMENTED on both", async () => {
  const served: string[] = [];
  for (const route of routesOf(ManagementService.methods)) {
    const name = route.method.name;
    // Without a token: a served method says UNAUTHENTICATED (or answers, for Healthz), any other UNIMPLEMENTED.
    const path = route.path.replace(/[:*]\w+/g, "1");
    const overRest = await rest(route.verb.toUpperCase(), path, route.verb === "get" ? undefined : {}, { token: null });
    const overGrpc = await (grpc as unknown as Record<string, (r: object) => Promise<unknown>>)[route.method.localName]!({}).then(
      () => 0,
      (error: unknown) => ConnectError.from(error).code as number,
    );
    const restCode = overRest.status === 200 ? 0 : (overRest.body as { code: number }).code;
    assert.equal(overGrpc, restCode, `${name}: gRPC ${overGrpc}, REST ${overRest.status} ${JSON.stringify(overRest.body)}`);
    if (restCode === 12) assert.equal(overRest.body.message, `method ${name} not implemented`, `${route.verb} ${path} reaches ${name}`);
    else served.push(name);
  }
  for (const name of ["AddMachineUser", "UpdateMachine", "GenerateMachineSecret", "AddHumanUser", "GetUserByID", "Healthz"]) {
    assert.ok(served.includes(name), `${name} is served`);
  }
});
