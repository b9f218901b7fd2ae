import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { spawnService, type ServiceProcess } from "../support/process.js";
import { redisSkipReason, startRedisServer } from "../support/redisServer.js";
import { eventually } from "../support/eventually.js";
import { restClient } from "../support/service.js";

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP webhook delivery across instances: ${skipReason}`);
const server = skipReason ? undefined : await startRedisServer();

/** Deliveries per event id: a duplicate is a count above one. */
const deliveries = new Map<string, number>();
const receiver = createServer((req, res) => {
  const id = String(req.headers["x-idledger-event-id"]);
  deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
  req.resume();
  res.end();
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));

const processes: ServiceProcess[] = [];
const dataDir = await mkdtemp(join(tmpdir(), "idledger-webhook-lease-"));
after(async () => {
  for (const { child, exited } of processes) {
    child.kill("SIGKILL");
    await exited;
  }
  receiver.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

describe("webhook delivery across instances", { skip: skipReason }, () => {
  it("two instances on one log and one Redis deliver each event once; when the holder dies the other takes over", { timeout: 180_000 }, async () => {
    const env = {
      DATA_DIR: dataDir,
      REDIS_URL: server!.url,
      WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8",
      // Long enough that a loaded machine does not make leases change hands in the steady state.
      WEBHOOK_LEASE_MS: "2000",
      PROJECTOR_LEASE_MS: "2000",
      WEBHOOK_BACKOFF_MS: "20",
    };
    const first = await spawnService(env);
    processes.push(first);
    const adminToken = (await readFile(join(dataDir, "admin.pat"), "utf8")).trim();
    const callFirst = restClient({ url: first.url, adminToken });
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const target = await callFirst("POST", "/webhooks/v1/targets", { name: "counted", endpoint, eventTypes: ["user.machine.added"] });
    assert.equal(target.status, 200);

    const second = await spawnService(env);
    processes.push(second);
    const callSecond = restClient({ url: second.url, adminToken });
    const stateOn = async (call: typeof callFirst) => (await call("GET", `/webhooks/v1/targets/${target.body.id}`)).body.state as string;
    await eventually(() => callSecond("GET", "/webhooks/v1/targets"), (listed) => listed.body.result.length === 1);

    let n = 0;
    const addUsers = async (calls: (typeof callFirst)[], count: number) => {
      for (let i = 0; i < count; i++) {
        const added = await calls[i % calls.length]!("POST", "/management/v1/users/machine", { userName: `counted-${n++}`, name: "C" });
        assert.equal(added.status, 200, JSON.stringify(added.body));
      }
    };

    // Steady state: writes on both instances, every event delivered exactly once.
    await addUsers([callFirst, callSecond], 12);
    await eventually(() => deliveries.size, (size) => size === 12, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual([...deliveries.values()], Array(12).fill(1), "no event delivered twice");
    assert.deepEqual([await stateOn(callFirst), await stateOn(callSecond)], ["delivering", "standby"]);

    // The holder dies: the other instance takes the target over from the shared checkpoint.
    first.child.kill("SIGKILL");
    await first.exited;
    await addUsers([callSecond], 8);
    await eventually(() => deliveries.size, (size) => size === 20, 20_000);
    assert.equal(await stateOn(callSecond), "delivering");
    assert.ok(sum(deliveries.values()) - deliveries.size <= 1, `at most the event in flight is sent again: ${JSON.stringify([...deliveries.values()])}`);
  });
});
