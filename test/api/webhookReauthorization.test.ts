import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, it } from "node:test";
import { eventually } from "../support/eventually.js";
import { restClient, startTestService } from "../support/service.js";

const service = await startTestService({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8", WEBHOOK_MAX_ATTEMPTS: "1" });
let refuse = true;
const held: ServerResponse[] = [];
const receiver = createServer((req, res) => {
  req.resume();
  if (refuse) res.writeHead(500).end();
  else held.push(res);
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
after(async () => {
  receiver.closeAllConnections();
  receiver.close();
  await service.dispose();
});

it("a re-drive whose token expires while it waits for the delivery does not settle the dead letter", async () => {
  const call = restClient(service);
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  assert.equal((await call("POST", "/webhooks/v1/targets", { name: "slow", endpoint, eventTypes: ["user.machine.added"] })).status, 200);
  assert.equal((await call("POST", "/management/v1/users/machine", { userName: "redriven", name: "R" })).status, 200);
  const [letter] = (await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 1)).body.result;

  // A second token of the instance admin, valid for a few seconds only.
  const [instance] = await service.store.readStream("instance");
  const adminId = (instance!.data as { adminUserId: string }).adminUserId;
  const expiresAt = Math.ceil(Date.now() / 1000) + 3;
  const pat = await call("POST", `/management/v1/users/${adminId}/pats`, { expirationDate: new Date(expiresAt * 1000).toISOString() });
  assert.equal(pat.status, 200, JSON.stringify(pat.body));

  refuse = false;
  const redrive = restClient({ url: service.url, adminToken: pat.body.token })("POST", `/webhooks/v1/deadletters/${letter.id}/_redrive`, {});
  await eventually(() => held.length, (n) => n === 1);
  // The request passed authorization and now waits for the target; let the token run out, then answer.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt * 1000 - Date.now()) + 100));
  held[0]!.writeHead(200).end();

  const answer = await redrive;
  assert.equal(answer.status, 401, JSON.stringify(answer.body));
  const letters = (await call("GET", "/webhooks/v1/deadletters")).body.result;
  assert.deepEqual(letters.map((l: { id: number; attempts: number }) => [l.id, l.attempts]), [[letter.id, 1]], "the letter is as it was");
});
