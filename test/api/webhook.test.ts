import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { eventually } from "../support/eventually.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

/** What a receiver does with `ZITADEL-Signature: t=<unix seconds>,v1=<hex>` (the README's example). */
function verifySignature(header: string, body: string, signingKey: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!parts.v1 || !Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", signingKey).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const receivers: { stop(): Promise<void> }[] = [];

interface Delivery {
  readonly position: string;
  readonly body: string;
  readonly signature: string;
}

/** A real HTTP receiver on loopback; `stop` kills it (connections too), `start` brings it back on the same port. */
function receiver(options: { delayMs?: number; status?: () => number } = {}) {
  const deliveries: Delivery[] = [];
  let server: Server | undefined;
  let port = 0;
  const hook = {
    deliveries,
    get url() {
      return `http://127.0.0.1:${port}/hook`;
    },
    async start() {
      server = createServer((req, res) => {
        let body = "";
        req.setEncoding("utf8").on("data", (chunk) => (body += chunk));
        req.on("end", () => {
          const status = options.status?.() ?? 200;
          if (status === 200) deliveries.push({ position: JSON.parse(body).position, body, signature: String(req.headers["zitadel-signature"]) });
          setTimeout(() => res.writeHead(status).end(), options.delayMs ?? 0);
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    },
    async stop() {
      server?.closeAllConnections();
      await new Promise((resolve) => (server?.listening ? server.close(resolve) : resolve(undefined)));
    },
  };
  receivers.push(hook);
  return hook;
}

const services: TestService[] = [];
after(async () => {
  for (const service of services) await service.dispose().catch(() => undefined);
  for (const hook of receivers) await hook.stop();
});

async function start(env: Record<string, string>, dataDir?: string) {
  const service = await startTestService({ WEBHOOK_BACKOFF_MS: "20", WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8", ...env }, dataDir);
  services.push(service);
  return { service, call: restClient(service) };
}


/** Positions of the events the target wants, after it was added, as the log holds them. */
async function wanted(service: TestService, targetId: string, type: RegExp) {
  const positions: string[] = [];
  let added = false;
  for await (const event of service.store.readAll()) {
    if (event.stream === `webhook-${targetId}`) added = true;
    else if (added && type.test(event.type)) positions.push(event.position.toString());
  }
  return positions;
}

/** At least once, in order, no gaps: dropping re-sends of earlier events leaves exactly `expected`. */
function assertInOrderAtLeastOnce(deliveries: readonly Delivery[], expected: readonly string[], signingKey: string) {
  const firstTimes: string[] = [];
  for (const { position } of deliveries) {
    if (firstTimes.includes(position)) continue;
    firstTimes.push(position);
  }
  assert.deepEqual(firstTimes, expected);
  for (let i = 1; i < deliveries.length; i++) {
    const position = BigInt(deliveries[i]!.position);
    const before = deliveries.slice(0, i).map((d) => BigInt(d.position));
    assert.ok(position > before.at(-1)! || before.includes(position), `delivery ${i} (${position}) went back without being a re-send`);
  }
  assert.ok(deliveries.every((d) => verifySignature(d.signature, d.body, signingKey)), "every delivery is signed with the target's key");
}

const addUsers = async (call: ReturnType<typeof restClient>, prefix: string, count: number) => {
  for (let i = 0; i < count; i++) assert.equal((await call("POST", "/management/v1/users/machine", { userName: `${prefix}-${i}`, name: "N" })).status, 200);
};

describe("webhooks", () => {
  it("delivers the wanted events signed, in order, and loses none while the receiver is down", async () => {
    const { service, call } = await start({ WEBHOOK_MAX_ATTEMPTS: "100" });
    const hook = receiver();
    await hook.start();
    const target = await call("POST", "/webhooks/v1/targets", { name: "crm", endpoint: hook.url, eventTypes: ["user.*"] });
    assert.equal(target.status, 200);
    await addUsers(call, "before", 8);
    await eventually(() => hook.deliveries.length, (n) => n >= 3);
    await hook.stop();
    await addUsers(call, "during", 8);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await hook.start();
    await addUsers(call, "after", 4);
    const expected = await wanted(service, target.body.id, /^user\./);
    assert.equal(expected.length, 20);
    await eventually(() => new Set(hook.deliveries.map((d) => d.position)).size, (n) => n >= expected.length);
    assertInOrderAtLeastOnce(hook.deliveries, expected, target.body.signingKey);
    const payload = JSON.parse(hook.deliveries[0]!.body);
    assert.equal(payload.type, "user.machine.added");
    assert.equal(payload.data.userName, "before-0");
    await hook.stop();
  });

  it("resumes from its persisted checkpoint after idledger restarts mid-delivery", async () => {
    const first = await start({ WEBHOOK_MAX_ATTEMPTS: "100" });
    const hook = receiver({ delayMs: 30 });
    await hook.start();
    const target = await first.call("POST", "/webhooks/v1/targets", { name: "slow", endpoint: hook.url, eventTypes: ["user.machine.added"] });
    await addUsers(first.call, "restart", 15);
    const expected = await wanted(first.service, target.body.id, /^user\.machine\.added$/);
    await eventually(() => hook.deliveries.length, (n) => n >= 4);
    await first.service.close();
    const deliveredBeforeRestart = hook.deliveries.length;
    assert.ok(deliveredBeforeRestart < expected.length, "the restart happened mid-delivery");

    await start({ WEBHOOK_MAX_ATTEMPTS: "100" }, first.service.dataDir);
    await eventually(() => new Set(hook.deliveries.map((d) => d.position)).size, (n) => n >= expected.length);
    assertInOrderAtLeastOnce(hook.deliveries, expected, target.body.signingKey);
    assert.ok(hook.deliveries.length - expected.length <= 1, `at most the event in flight is sent twice, got ${hook.deliveries.length} for ${expected.length}`);
    await hook.stop();
  });

  it("dead-letters an event after N attempts without holding up the next ones; an admin lists and re-drives it", async () => {
    const { call } = await start({ WEBHOOK_MAX_ATTEMPTS: "2" });
    let failing = true;
    const hook = receiver({ status: () => (failing ? 500 : 200) });
    await hook.start();
    const target = await call("POST", "/webhooks/v1/targets", { name: "flaky", endpoint: hook.url, eventTypes: ["user.machine.added"] });
    await addUsers(call, "poison", 1);
    const letters = await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 1);
    const [letter] = letters.body.result;
    assert.equal(letter.targetId, target.body.id);
    assert.equal(letter.eventType, "user.machine.added");
    assert.equal(letter.attempts, 2);
    assert.equal(letter.lastError, "HTTP 500");

    failing = false;
    await addUsers(call, "healthy", 1);
    await eventually(() => hook.deliveries.length, (n) => n === 1);
    assert.equal(JSON.parse(hook.deliveries[0]!.body).data.userName, "healthy-0");

    failing = true;
    const refused = await call("POST", `/webhooks/v1/deadletters/${letter.id}/_redrive`, {});
    assert.equal(refused.status, 503);
    assert.equal(refused.body.details[0].id, "WEBHOOK-rD1vf");
    assert.equal((await call("GET", "/webhooks/v1/deadletters")).body.result[0].attempts, 3);

    failing = false;
    const redriven = await call("POST", `/webhooks/v1/deadletters/${letter.id}/_redrive`, {});
    assert.equal(redriven.status, 200);
    const last = hook.deliveries.at(-1)!;
    assert.equal(last.position, letter.position);
    assert.equal(JSON.parse(last.body).data.userName, "poison-0");
    assert.ok(verifySignature(last.signature, last.body, target.body.signingKey));
    assert.deepEqual((await call("GET", "/webhooks/v1/deadletters")).body.result, []);
    const again = await call("POST", `/webhooks/v1/deadletters/${letter.id}/_redrive`, {});
    assert.equal(again.status, 404);
    assert.equal(again.body.details[0].id, "WEBHOOK-dL4nf");
    await hook.stop();
  });

  it("refuses a target past WEBHOOK_MAX_TARGETS (400 WEBHOOK-tL1mt), concurrent adds included, and takes one again once a target is removed", async () => {
    const { call } = await start({ WEBHOOK_MAX_TARGETS: "2" });
    const hook = receiver();
    await hook.start();
    const adds = await Promise.all([1, 2, 3, 4].map((i) => call("POST", "/webhooks/v1/targets", { name: `t${i}`, endpoint: hook.url })));
    assert.deepEqual(adds.map((a) => a.status).sort(), [200, 200, 400, 400]);
    assert.ok(adds.filter((a) => a.status === 400).every((a) => a.body.details[0].id === "WEBHOOK-tL1mt"));
    assert.equal((await call("GET", "/webhooks/v1/targets")).body.result.length, 2);
    const first = adds.find((a) => a.status === 200)!;
    assert.equal((await call("DELETE", `/webhooks/v1/targets/${first.body.id}`)).status, 200);
    assert.equal((await call("POST", "/webhooks/v1/targets", { name: "t5", endpoint: hook.url })).status, 200);
    await hook.stop();
  });

  it("pages the dead-letter listing by id (after, limit: 100 by default, at most 1000)", async () => {
    const { call } = await start({ WEBHOOK_MAX_ATTEMPTS: "1" });
    const hook = receiver({ status: () => 500 });
    await hook.start();
    assert.equal((await call("POST", "/webhooks/v1/targets", { name: "refusing", endpoint: hook.url, eventTypes: ["user.machine.added"] })).status, 200);
    await addUsers(call, "lettered", 3);
    const all = (await eventually(() => call("GET", "/webhooks/v1/deadletters"), (r) => r.body.result.length === 3)).body.result;
    const ids = all.map((letter: any) => letter.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    const first = await call("GET", "/webhooks/v1/deadletters?limit=2");
    assert.deepEqual(first.body.result.map((letter: any) => letter.id), ids.slice(0, 2));
    const rest = await call("GET", `/webhooks/v1/deadletters?limit=2&after=${ids[1]}`);
    assert.deepEqual(rest.body.result.map((letter: any) => letter.id), ids.slice(2));
    for (const query of ["limit=0", "limit=1001", "limit=x", "after=-1", "after=1e3"]) {
      const refused = await call("GET", `/webhooks/v1/deadletters?${query}`);
      assert.equal(refused.status, 400, query);
      assert.equal(refused.body.details[0].id, "WEBHOOK-pG1nv");
    }
    await hook.stop();
  });

  it("keeps signing keys out of the log in plaintext; targets are listed, removed, and admin-only", async () => {
    const { service, call } = await start({});
    const hook = receiver();
    await hook.start();
    const target = await call("POST", "/webhooks/v1/targets", { name: "audit", endpoint: hook.url });
    const { id, signingKey } = target.body;
    assert.match(signingKey, /^[\w-]{43}$/);

    const raw = [];
    for await (const event of service.store.readAll()) if (event.stream === `webhook-${id}`) raw.push(event);
    assert.equal(raw[0]!.type, "webhook.target.added");
    assert.doesNotMatch(JSON.stringify(raw.map((e) => [e.data, e.metadata])), new RegExp(signingKey));
    assert.equal((raw[0]!.data as any).signingKey.Algorithm, "aes-256-gcm");
    const listed = await call("POST", "/admin/v1/events/_search", { aggregateId: id });
    assert.equal(listed.body.events[0].payload.signingKey, "[redacted]");

    const targets = await call("GET", "/webhooks/v1/targets");
    assert.deepEqual(targets.body.result.map((t: any) => [t.id, t.name, t.endpoint, t.eventTypes]), [[id, "audit", hook.url, []]]);
    assert.doesNotMatch(JSON.stringify(targets.body), new RegExp(signingKey));

    assert.equal((await call("DELETE", `/webhooks/v1/targets/${id}`)).status, 200);
    assert.equal((await call("GET", `/webhooks/v1/targets/${id}`)).status, 404);
    const gone = await call("DELETE", `/webhooks/v1/targets/${id}`);
    assert.equal(gone.body.details[0].id, "WEBHOOK-n0Tf4");
    const delivered = hook.deliveries.length;
    await addUsers(call, "unheard", 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(hook.deliveries.length, delivered, "a removed target gets nothing more");

    for (const bad of [
      { name: "x", endpoint: "ftp://example.com" },
      { name: "n".repeat(1001), endpoint: hook.url },
      { name: "long", endpoint: `${hook.url}?${"q".repeat(1000)}` },
      { name: "creds", endpoint: hook.url.replace("http://", "http://user:secret@") },
      { name: "user only", endpoint: hook.url.replace("http://", "http://user@") },
    ]) {
      const invalid = await call("POST", "/webhooks/v1/targets", bad);
      assert.equal(invalid.status, 400, bad.name);
      assert.equal(invalid.body.details[0].id, "WEBHOOK-x9Tq2");
    }
    assert.equal((await call("GET", "/webhooks/v1/targets", undefined, { token: null })).status, 401);
    const org = await call("POST", "/management/v1/orgs", { name: "Hookless" });
    const owner = await call("POST", "/management/v1/users/machine", { userName: "hook-owner", name: "O" }, { orgId: org.body.id });
    await call("POST", "/management/v1/orgs/me/members", { userId: owner.body.userId, roles: ["ORG_OWNER"] }, { orgId: org.body.id });
    const pat = await call("POST", `/management/v1/users/${owner.body.userId}/pats`, {}, { orgId: org.body.id });
    assert.equal((await call("GET", "/webhooks/v1/targets", undefined, { token: pat.body.token })).status, 403);
    await hook.stop();
  });
});
