import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { after, describe, it } from "node:test";
import { eventually } from "../support/eventually.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

const services: TestService[] = [];
const servers: (Server | HttpServer)[] = [];
after(async () => {
  for (const service of services) await service.dispose().catch(() => undefined);
  for (const server of servers) server.close();
});

async function start(env: Record<string, string> = {}, dataDir?: string) {
  const service = await startTestService({ WEBHOOK_BACKOFF_MS: "20", ...env }, dataDir);
  services.push(service);
  return { service, call: restClient(service) };
}

async function listening<T extends Server | HttpServer>(server: T): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A receiver that counts what reaches it. */
async function receiver() {
  const received: string[] = [];
  const port = await listening(createHttpServer((req, res) => (received.push(String(req.headers["x-idledger-event-id"])), req.resume(), res.end())));
  return { port, received };
}


const addUser = (call: ReturnType<typeof restClient>, userName: string) => call("POST", "/management/v1/users/machine", { userName, name: "N" });

describe("webhook egress", () => {
  it("refuses targets on loopback, link-local, private and reserved addresses in any spelling, and names that resolve there", async () => {
    const { service, call } = await start();
    const { port } = await receiver();
    const refused = [
      `http://127.0.0.1:${port}/hook`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://127.1:${port}/`,
      `http://017700000001:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://[64:ff9b::127.0.0.1]:${port}/`,
      `http://localhost:${port}/`,
      "http://169.254.169.254/latest/meta-data/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://10.1.2.3/",
      "http://172.16.0.1/",
      "http://192.168.0.1/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://[::]/",
      "https://224.0.0.1/",
    ];
    for (const endpoint of refused) {
      const answer = await call("POST", "/webhooks/v1/targets", { name: "internal", endpoint });
      assert.equal(answer.status, 400, endpoint);
      assert.equal(answer.body.details[0].id, "WEBHOOK-x9Tq2", endpoint);
    }
    const unresolvable = await call("POST", "/webhooks/v1/targets", { name: "nowhere", endpoint: "http://no-such-host.invalid/" });
    assert.equal(unresolvable.status, 400);
    assert.deepEqual((await call("GET", "/webhooks/v1/targets")).body.result, []);
    for await (const event of service.store.readAll()) assert.ok(!event.type.startsWith("webhook."), "nothing appended");

    // A public address is accepted (it wants no event, so nothing is ever sent there).
    const publicTarget = await call("POST", "/webhooks/v1/targets", { name: "public", endpoint: "https://93.184.215.14/hook", eventTypes: ["no.such.event"] });
    assert.equal(publicTarget.status, 200);
    assert.equal((await call("DELETE", `/webhooks/v1/targets/${publicTarget.body.id}`)).status, 200);
  });

  it("WEBHOOK_ALLOWED_NETWORKS lets targets reach the networks it names, and only those", async () => {
    const { call } = await start({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8" });
    const { port } = await receiver();
    for (const endpoint of [`http://127.0.0.1:${port}/`, `http://0x7f000001:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      assert.equal((await call("POST", "/webhooks/v1/targets", { name: "local", endpoint, eventTypes: ["no.such.event"] })).status, 200, endpoint);
    }
    for (const endpoint of [`http://[::1]:${port}/`, "http://10.0.0.1/", "http://169.254.169.254/"]) {
      assert.equal((await call("POST", "/webhooks/v1/targets", { name: "other", endpoint })).status, 400, endpoint);
    }
  });

  it("checks the address it dials at delivery time: a stored target that is no longer allowed gets nothing", async () => {
    const first = await start({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8,::1", WEBHOOK_MAX_ATTEMPTS: "1" });
    const hook = await receiver();
    for (const endpoint of [`http://127.0.0.1:${hook.port}/literal`, `http://localhost:${hook.port}/name`]) {
      assert.equal((await first.call("POST", "/webhooks/v1/targets", { name: "was-allowed", endpoint, eventTypes: ["user.machine.added"] })).status, 200);
    }
    await first.service.close();

    const { call } = await start({ WEBHOOK_MAX_ATTEMPTS: "1" }, first.service.dataDir);
    assert.equal((await addUser(call, "not-for-loopback")).status, 200);
    const letters = await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 2);
    assert.deepEqual(letters.body.result.map((letter: { lastError: string }) => letter.lastError), ["address not allowed", "address not allowed"]);
    assert.deepEqual(hook.received, []);
  });

  it("dead letters and re-drives say the same for a closed port and an open one that does not speak HTTP", async () => {
    const { call } = await start({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8", WEBHOOK_MAX_ATTEMPTS: "1" });
    const closed = createTcpServer();
    const closedPort = await listening(closed);
    await new Promise((resolve) => closed.close(resolve));
    const talkative = await listening(createTcpServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n")));
    const silent = await listening(createTcpServer((socket) => socket.destroy()));
    for (const port of [closedPort, talkative, silent]) {
      assert.equal((await call("POST", "/webhooks/v1/targets", { name: `port-${port}`, endpoint: `http://127.0.0.1:${port}/`, eventTypes: ["user.machine.added"] })).status, 200);
    }
    assert.equal((await addUser(call, "port-scan")).status, 200);
    const letters = await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 3);
    assert.deepEqual(letters.body.result.map((letter: { lastError: string }) => letter.lastError), ["connection failed", "connection failed", "connection failed"]);
    const redriven = [];
    for (const letter of letters.body.result) redriven.push((await call("POST", `/webhooks/v1/deadletters/${letter.id}/_redrive`, {})).body.message);
    assert.equal(new Set(redriven).size, 1, JSON.stringify(redriven));
  });
});
