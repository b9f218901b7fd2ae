import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectRedis } from "../../src/projections/redis/connection.js";
import { eventually } from "../support/eventually.js";
import { spawnService, type ServiceProcess } from "../support/process.js";
import { REDIS_SERVER_BINARY, redisSkipReason, startRedisServer, type RedisServer } from "../support/redisServer.js";
import { restClient, startTestService, type TestService } from "../support/service.js";

const skipReason = redisSkipReason();
if (skipReason) console.warn(`SKIP Redis AUTH/ACL/TLS: ${skipReason}`);

function tlsSkipReason(): string | undefined {
  if (skipReason) return skipReason;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    return "openssl is missing: no throwaway CA can be made";
  }
  const linked = execFileSync("ldd", [REDIS_SERVER_BINARY], { encoding: "utf8" });
  return /libssl/.test(linked) ? undefined : `${REDIS_SERVER_BINARY} is built without TLS (no --tls-port)`;
}
const noTls = tlsSkipReason();
if (noTls && !skipReason) console.warn(`SKIP Redis TLS: ${noTls}`);

const dir = await mkdtemp(join(tmpdir(), "idledger-redis-auth-"));
const servers: RedisServer[] = [];
const services: TestService[] = [];
const processes: ServiceProcess[] = [];
after(async () => {
  for (const service of services) await service.dispose();
  for (const { child, exited } of processes) {
    child.kill("SIGKILL");
    await exited;
  }
  for (const server of servers) await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const start = async (env: Record<string, string>) => {
  const service = await startTestService({ PROJECTOR_LEASE_MS: "300", ...env });
  services.push(service);
  return service;
};

/** A write and a read through the Redis read model: both answer only when Redis took the credentials. */
async function writesAndReads(service: { url: string; adminToken: string }) {
  const call = restClient(service);
  const userName = `secured-${randomUUID()}`;
  const created = await call("POST", "/management/v1/users/machine", { userName, name: "S" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const read = await call("GET", `/management/v1/users/${created.body.userId}`);
  assert.equal(read.status, 200, JSON.stringify(read.body));
  assert.equal(read.body.user.userName, userName);
  assert.equal((await fetch(`${service.url}/debug/ready`)).status, 200);
}

/** What a service that cannot use Redis answers: not ready, reads 503 UNAVAILABLE (never served from elsewhere). */
async function refusedByRedis(service: TestService) {
  assert.equal((await fetch(`${service.url}/debug/ready`)).status, 503);
  const read = await restClient(service)("GET", "/management/v1/users/nobody");
  assert.equal(read.status, 503, JSON.stringify(read.body));
  assert.equal(read.body.code, 14);
}

describe("Redis with credentials", { skip: skipReason }, () => {
  it("AUTH: the password in REDIS_URL (URL-encoded) is used; without it nothing is served", { timeout: 60_000 }, async () => {
    const password = "p@ss:w/rd";
    const server = await startRedisServer({ password });
    servers.push(server);
    assert.match(server.url, /^redis:\/\/:p%40ss%3Aw%2Frd@127\.0\.0\.1:\d+$/);
    await writesAndReads(await start({ REDIS_URL: server.url }));
    await refusedByRedis(await start({ REDIS_URL: `redis://127.0.0.1:${server.port}` }));
  });

  it("an ACL user confined to idledger's keys and channels, no dangerous commands: reads, projection, leases and webhook state work", { timeout: 60_000 }, async () => {
    const acl = join(dir, "users.acl");
    // docs/security.md recommends this user; the default user is off, as it should be in production.
    await writeFile(acl, "user default off\nuser idledger on >idledger-secret ~idledger:* &idledger:* +@all -@dangerous +info\n");
    const server = await startRedisServer({ acl: { file: acl, user: "idledger", password: "idledger-secret" } });
    servers.push(server);
    assert.match(server.url, /^redis:\/\/idledger:idledger-secret@/);

    const received: string[] = [];
    const receiver = createServer((req, res) => (received.push(String(req.headers["x-idledger-event-id"])), req.resume(), res.end()));
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const service = await start({ REDIS_URL: server.url, WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8", WEBHOOK_LEASE_MS: "300" });
      const call = restClient(service);
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
      const target = await call("POST", "/webhooks/v1/targets", { name: "acl", endpoint, eventTypes: ["user.machine.added"] });
      assert.equal(target.status, 200);
      await writesAndReads(service);
      await eventually(() => received.length, (n) => n === 1);
      const listed = await eventually(() => call("GET", `/webhooks/v1/targets/${target.body.id}`), (r) => r.body.checkpoint !== target.body.details.sequence);
      assert.equal(listed.body.state, "delivering");
    } finally {
      receiver.close();
    }
  });
});

describe("Redis over TLS", { skip: noTls }, () => {
  let server: RedisServer;
  let caFile: string;
  before(async () => {
    const pki = join(dir, "pki");
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    await mkdir(pki);
    await writeFile(join(pki, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(pki, "ca.key"), "-out", join(pki, "ca.crt"), "-days", "1", "-subj", "/CN=idledger test CA");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", join(pki, "redis.key"), "-out", join(pki, "redis.csr"), "-subj", "/CN=127.0.0.1");
    openssl("x509", "-req", "-in", join(pki, "redis.csr"), "-CA", join(pki, "ca.crt"), "-CAkey", join(pki, "ca.key"), "-CAcreateserial", "-out", join(pki, "redis.crt"), "-days", "1", "-extfile", join(pki, "san.ext"));
    caFile = join(pki, "ca.crt");
    server = await startRedisServer({ tls: { certFile: join(pki, "redis.crt"), keyFile: join(pki, "redis.key"), caFile }, password: "tls-secret" });
    servers.push(server);
  });

  it("rediss:// verifies the server's certificate against the trusted CAs; an untrusted CA gets nothing", { timeout: 150_000 }, async () => {
    assert.match(server.url, /^rediss:\/\//);
    // A process that trusts the throwaway CA (Node's own setting for private CAs).
    const dataDir = join(dir, "tls-data");
    const trusting = await spawnService({ DATA_DIR: dataDir, REDIS_URL: server.url, NODE_EXTRA_CA_CERTS: caFile, PROJECTOR_LEASE_MS: "300" });
    processes.push(trusting);
    await writesAndReads({ url: trusting.url, adminToken: (await readFile(join(dataDir, "admin.pat"), "utf8")).trim() });

    // This test's own process does not trust that CA: the certificate is refused.
    await refusedByRedis(await start({ REDIS_URL: server.url }));
  });

  it("a TLS connection cut short (certificate refused, closed mid-handshake) never throws out of the process", async () => {
    let uncaught = 0;
    const count = () => void uncaught++;
    process.on("uncaughtException", count);
    try {
      // This process does not trust the CA; ioredis listens for one error per socket, the server's alert is a second.
      const connections = Array.from({ length: 100 }, (_, i) => {
        const redis = connectRedis(server.url);
        setTimeout(() => redis.disconnect(), i % 50);
        return redis;
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const redis of connections) redis.disconnect();
      assert.equal(uncaught, 0);
    } finally {
      process.off("uncaughtException", count);
    }
  });
});
