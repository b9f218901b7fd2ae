import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { personalFields } from "../../src/events/personalData.js";
import { eventually } from "../support/eventually.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { openStream } from "../support/sse.js";

/** Values no other test uses: finding one in a delivery is this user's leak. */
const dora = { userName: "Zephyr-Erasable-6620", firstName: "Dorotheanna", lastName: "Quibblewick", email: "dorotheanna.q@mailhost-3317.example", phone: "+41764441922" };
const distinctive = [...Object.values(dora), dora.userName.toLowerCase(), "+41 76 444 19 22"];
const leaked = (text: string) => distinctive.filter((value) => text.includes(value));

const addDora = (call: ReturnType<typeof restClient>, suffix: string) =>
  call("POST", "/management/v1/users/human", {
    userName: `${dora.userName}-${suffix}`,
    profile: { firstName: dora.firstName, lastName: dora.lastName },
    email: { email: dora.email },
    phone: { phone: dora.phone },
  });

/** Every personal field of the event's type that the payload carries reads "[erased]". */
function assertErased(type: string, data: Record<string, unknown>) {
  const fields = (personalFields[type]?.fields ?? []).filter((name) => name in data);
  assert.ok(type !== "user.human.added" || fields.length >= 5, `${type} carries its personal fields`);
  for (const name of fields) assert.equal(data[name], "[erased]", `${type}.${name}`);
}

/** A webhook receiver on loopback that answers `status()` and keeps every body it was sent. */
async function receiver(status: () => number) {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    bodies,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

let service: TestService;
let call: ReturnType<typeof restClient>;

before(async () => {
  service = await startTestService({ WEBHOOK_BACKOFF_MS: "20", WEBHOOK_MAX_ATTEMPTS: "2", WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8" });
  call = restClient(service);
});
after(() => service.dispose());

describe("an erased user's events as subscribers receive them", () => {
  it("SSE: a replay from position 0 after the erasure shows [erased], never the values", async () => {
    const added = await addDora(call, "sse");
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const id = added.body.userId as string;
    const changed = await call("PUT", `/management/v1/users/${id}/profile`, { firstName: dora.firstName, lastName: `${dora.lastName}-2`, displayName: `${dora.firstName} Q.` });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await call("DELETE", `/management/v1/users/${id}`)).status, 200);

    const stream = await openStream(service.url, service.adminToken, "?from=0");
    try {
      await stream.untilFrame((frame) => frame.event === "user.personal.data.erased" && frame.data.aggregate.id === id);
      const dorasFrames = stream.frames.filter((frame) => frame.data.stream === `user-${id}`);
      const types = dorasFrames.map((frame) => frame.event);
      assert.ok(types.includes("user.human.added") && types.includes("user.human.profile.changed"), types.join());
      for (const frame of dorasFrames) assertErased(frame.event, frame.data.data);
      assert.deepEqual(leaked(JSON.stringify(stream.frames)), []);
    } finally {
      stream.close();
    }
  });

  it("webhooks: an event delivered after the erasure (a re-driven dead letter) shows [erased], never the values", async () => {
    let failing = true;
    const hook = await receiver(() => (failing ? 500 : 200));
    try {
      const target = await call("POST", "/webhooks/v1/targets", { name: "erasure", endpoint: hook.url, eventTypes: ["user.human.added"] });
      assert.equal(target.status, 200, JSON.stringify(target.body));
      const id = (await addDora(call, "hook")).body.userId as string;
      const letters = await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 1);
      assert.ok(hook.bodies.length >= 1 && hook.bodies.every((body) => JSON.parse(body).data.firstName === dora.firstName), "before the erasure: plaintext, as to any subscriber");

      assert.equal((await call("DELETE", `/management/v1/users/${id}`)).status, 200);
      failing = false;
      const sent = hook.bodies.length;
      assert.equal((await call("POST", `/webhooks/v1/deadletters/${letters.body.result[0].id}/_redrive`, {})).status, 200);
      const redriven = hook.bodies.slice(sent).map((body) => JSON.parse(body));
      assert.equal(redriven.length, 1);
      assert.equal(redriven[0].aggregate.id, id);
      assertErased(redriven[0].type, redriven[0].data);
      assert.deepEqual(leaked(JSON.stringify(redriven)), []);
    } finally {
      await hook.stop();
    }
  });

  it("webhooks: a delivery retried across the erasure is acknowledged with [erased], never the values", async () => {
    // Its own service: retries without end while the receiver fails.
    const retrying = await startTestService({ WEBHOOK_BACKOFF_MS: "20", WEBHOOK_MAX_ATTEMPTS: "100", WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8" });
    const retryCall = restClient(retrying);
    let failing = true;
    const acknowledged: string[] = [];
    const hook = await receiver(() => (failing ? 503 : 200));
    try {
      const target = await retryCall("POST", "/webhooks/v1/targets", { name: "retrying", endpoint: hook.url, eventTypes: ["user.human.added"] });
      assert.equal(target.status, 200, JSON.stringify(target.body));
      const id = (await addDora(retryCall, "retry")).body.userId as string;
      await eventually(() => hook.bodies.length, (n) => n >= 1);
      assert.equal((await retryCall("DELETE", `/management/v1/users/${id}`)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const sent = hook.bodies.length;
      failing = false;
      await eventually(() => hook.bodies.length, (n) => n > sent, 30_000);
      acknowledged.push(...hook.bodies.slice(sent));
      const delivered = JSON.parse(acknowledged[0]!);
      assert.equal(delivered.aggregate.id, id);
      assertErased(delivered.type, delivered.data);
      assert.deepEqual(leaked(acknowledged.join("\n")), []);
    } finally {
      await hook.stop();
      await retrying.dispose();
    }
  });
});
