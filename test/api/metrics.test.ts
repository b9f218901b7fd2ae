import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAccessTokenInterceptor, createManagementClient } from "@zitadel/node/dist/api/index.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

async function scrape(): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(`${service.url}/debug/metrics`);
  assert.equal(response.status, 200);
  return { contentType: response.headers.get("content-type"), text: await response.text() };
}

/** The value of one sample line, e.g. `idledger_sse_streams` or `name{label="x"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /debug/metrics", () => {
  it("counts REST and gRPC requests by method, transport and code, with their latencies", async () => {
    const created = await call("POST", "/management/v1/users/machine", { userName: "metered", name: "M" });
    assert.equal(created.status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call("GET", `/management/v1/users/${created.body.userId}`)).status, 200);
    assert.equal((await call("GET", "/management/v1/users/404404404")).status, 404);
    const grpc = createManagementClient(new URL(service.url).host, createAccessTokenInterceptor(service.adminToken));
    await grpc.getUserByID({ id: created.body.userId });

    const { contentType, text } = await scrape();
    assert.match(contentType ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(text, 'idledger_request_duration_seconds_count{method="GetUserByID",transport="rest",code="0"}'), 3);
    assert.equal(sample(text, 'idledger_request_duration_seconds_count{method="GetUserByID",transport="rest",code="5"}'), 1);
    assert.equal(sample(text, 'idledger_request_duration_seconds_count{method="GetUserByID",transport="grpc",code="0"}'), 1);
    assert.equal(sample(text, 'idledger_request_duration_seconds_count{method="AddMachineUser",transport="rest",code="0"}'), 1);
    assert.ok((sample(text, 'idledger_request_duration_seconds_bucket{le="+Inf",method="GetUserByID",transport="rest",code="0"}') ?? 0) >= 3);
  });

  it("labels a path no route knows as unmatched, never with the path itself", async () => {
    assert.equal((await call("GET", "/management/v1/no-such-route-x7q")).status, 404);
    const { text } = await scrape();
    assert.doesNotMatch(text, /x7q/);
    assert.ok((sample(text, 'idledger_request_duration_seconds_count{method="unmatched",transport="rest",code="5"}') ?? 0) >= 1);
  });

  it("shows the log, the group commit and the projection", async () => {
    assert.equal((await call("POST", "/management/v1/users/machine", { userName: "metered-2", name: "M" })).status, 200);
    const { text } = await scrape();
    const head = sample(text, "idledger_log_head_position")!;
    assert.ok(head > 0);
    assert.equal(sample(text, "idledger_projection_position"), head);
    assert.equal(sample(text, "idledger_projection_lag_events"), 0);
    assert.equal(sample(text, "idledger_projection_lag_seconds"), 0);
    assert.equal(sample(text, "idledger_projection_parked_events"), 0);
    assert.equal(sample(text, "idledger_projection_rebuilds_total"), 1);
    assert.ok(sample(text, "idledger_event_store_append_duration_seconds_count")! >= 2);
    assert.ok(sample(text, "idledger_event_store_commit_batch_appends_count")! >= 2);
    assert.equal(sample(text, "idledger_sse_streams"), 0);
    assert.equal(sample(text, "idledger_webhook_backlog_events"), 0);
    assert.equal(sample(text, "idledger_webhook_dead_letters_total"), 0);
    assert.ok(sample(text, "process_cpu_seconds_total")! > 0);
    assert.ok(sample(text, "nodejs_heap_size_used_bytes")! > 0);
  });

  it("names no token, user or org", async () => {
    const { text } = await scrape();
    assert.ok(!text.includes(service.adminToken));
    const created = await call("POST", "/management/v1/users/machine", { userName: "metered-3", name: "M" });
    assert.ok(!(await scrape()).text.includes(created.body.userId));
    assert.ok(!text.includes(created.body.details.resourceOwner));
  });
});

describe("METRICS=off", () => {
  it("has no /debug/metrics", async () => {
    const off = await startTestService({ METRICS: "off" });
    try {
      const response = await fetch(`${off.url}/debug/metrics`);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { code: number }).code, 5);
    } finally {
      await off.dispose();
    }
  });
});
