import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

it("25 concurrent creates of one userName: exactly one 200, the rest 409", async () => {
  const responses = await Promise.all(
    Array.from({ length: 25 }, (_, i) => call("POST", "/management/v1/users/machine", { userName: i % 2 ? "Racer" : "racer", name: `attempt ${i}` })),
  );
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, ...Array(24).fill(409)]);
  assert.ok(responses.filter((r) => r.status === 409).every((r) => r.body.details[0].id === "V3-DKcYh"));
});

it("25 concurrent updates of one user: all succeed with distinct sequences, none lost", async () => {
  const { userId } = (await call("POST", "/management/v1/users/machine", { userName: "contended", name: "start" })).body;
  const responses = await Promise.all(
    Array.from({ length: 25 }, (_, i) => call("PUT", `/management/v1/users/${userId}/machine`, { name: `name ${i}` })),
  );
  assert.ok(responses.every((r) => r.status === 200), JSON.stringify(responses.find((r) => r.status !== 200)?.body));
  const sequences = responses.map((r) => Number(r.body.details.sequence)).sort((a, b) => a - b);
  assert.deepEqual(sequences, Array.from({ length: 25 }, (_, i) => i + 2));

  // Every update is in the log, in order, and the read model shows the last one.
  const events = await service.store.readStream(`user-${userId}`);
  assert.equal(events.length, 26);
  const last = responses.find((r) => r.body.details.sequence === "26")!;
  const read = await call("GET", `/management/v1/users/${userId}`);
  assert.deepEqual(read.body.user.details, last.body.details);
  assert.equal(read.body.user.machine.name, (events.at(-1)!.data as { name: string }).name);
});

it("concurrent creates of distinct users are group-committed and all acknowledged", async () => {
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) => call("POST", "/management/v1/users/machine", { userName: `parallel-${i}`, name: "p" })),
  );
  assert.ok(responses.every((r) => r.status === 200));
  const reads = await Promise.all(responses.map((r) => call("GET", `/management/v1/users/${r.body.userId}`)));
  assert.ok(reads.every((r, i) => r.status === 200 && r.body.user.details.sequence === responses[i]!.body.details.sequence));
});
