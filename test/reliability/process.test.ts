import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { spawnService, type ServiceProcess } from "../support/process.js";
import { restClient } from "../support/service.js";

let dataDir: string;
const outputs: string[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "idledger-process-"));
});
after(() => rm(dataDir, { recursive: true, force: true }));

const start = async () => {
  const service = await spawnService({ DATA_DIR: dataDir });
  const adminToken = (await readFile(join(dataDir, "admin.pat"), "utf8")).trim();
  return { service, call: restClient({ url: service.url, adminToken }), adminToken };
};

const stop = async (service: ServiceProcess, signal: NodeJS.Signals) => {
  service.child.kill(signal);
  const code = await service.exited;
  outputs.push(service.output());
  return code;
};

it("keeps acknowledged writes across kill -9, rebuilds the read model, never stores or logs a plaintext, drains on SIGTERM", async () => {
  // First life: write, then die hard.
  const first = await start();
  assert.equal((await stat(join(dataDir, "admin.pat"))).mode & 0o777, 0o600);
  const machine = await first.call("POST", "/management/v1/users/machine", { userName: "durable", name: "D" });
  const secret = await first.call("PUT", `/management/v1/users/${machine.body.userId}/secret`, {});
  const password = "Durable!Passw0rd";
  const human = await first.call("POST", "/management/v1/users/human", {
    userName: "durable-human",
    profile: { firstName: "D", lastName: "H" },
    email: { email: "dh@example.com", isEmailVerified: true },
    initialPassword: password,
  });
  const pat = await first.call("POST", `/management/v1/users/${machine.body.userId}/pats`, {});
  const updated = await first.call("PUT", `/management/v1/users/${machine.body.userId}/machine`, { name: "Renamed" });
  // Human secrets: a password set later, an imported plain password, and codes (email, phone, initialization).
  const newPassword = "Changed!Passw0rd";
  const passwordSet = await first.call("POST", `/management/v1/users/${human.body.userId}/password`, { password: newPassword });
  const importedPassword = "Imported!Passw0rd";
  const imported = await first.call("POST", "/management/v1/users/human/_import", {
    userName: "durable-import",
    profile: { firstName: "D", lastName: "I" },
    email: { email: "di@example.com" },
    phone: { phone: "+41791234567" },
    password: importedPassword,
  });
  const emailCode = await first.call("PUT", `/management/v1/users/${human.body.userId}/email`, { email: "dh2@example.com" });
  const initCode = await first.call("POST", `/management/v1/users/${imported.body.userId}/_resend_initialization`, {});
  for (const response of [machine, secret, human, pat, updated, passwordSet, imported, emailCode, initCode]) assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(await stop(first.service, "SIGKILL"), "SIGKILL");

  // Second life: everything acknowledged is there, with the same details.
  const second = await start();
  assert.equal(second.adminToken, first.adminToken, "the first-start setup runs once");
  const machineRead = await second.call("GET", `/management/v1/users/${machine.body.userId}`);
  assert.equal(machineRead.status, 200);
  assert.deepEqual(machineRead.body.user.details, updated.body.details);
  assert.equal(machineRead.body.user.machine.name, "Renamed");
  assert.equal(machineRead.body.user.machine.hasSecret, true);
  const humanRead = await second.call("GET", `/management/v1/users/${human.body.userId}`);
  assert.deepEqual(humanRead.body.user.details, emailCode.body.details, "the human's last write was its email change");
  assert.equal((await second.call("GET", `/management/v1/users/${machine.body.userId}`, undefined, { token: pat.body.token })).status, 403, "the PAT authenticates (no role, so 403 not 401)");

  // Orderly stop: SIGTERM drains and exits 0.
  assert.equal(await stop(second.service, "SIGTERM"), 0);
  assert.match(outputs[1]!, /"message":"stopped"/);

  // No plaintext in any file the service wrote (admin.pat is where the admin token is meant to be), nor in any log line.
  const plaintexts = { clientSecret: secret.body.clientSecret, password, pat: pat.body.token, adminToken: first.adminToken, newPassword, importedPassword };
  let codes = 0;
  for (const file of await readdir(dataDir)) {
    const content = (await readFile(join(dataDir, file))).toString("latin1");
    for (const [name, value] of Object.entries(plaintexts)) {
      if (file === "admin.pat" && name === "adminToken") continue;
      assert.ok(!content.includes(value), `${name} found in ${file}`);
    }
    // A code is never returned, so its plaintext is unknown here: every stored code must be encrypted
    // (12 bytes of IV, 16 of tag around it), never a bare 6-character code.
    for (const [, type, crypted] of content.matchAll(/"code":\{"CryptoType":(\d),[^}]*"Crypted":"([^"]*)"/g)) {
      codes++;
      assert.equal(type, "0", `a code stored with CryptoType ${type} in ${file}`);
      assert.ok(Buffer.from(crypted!, "base64").length > 28 && !/^[A-Z0-9]{6}$/.test(crypted!), `a code stored as ${crypted} in ${file}`);
    }
  }
  // The import's initialization and phone codes, the email code, the resent initialization code.
  assert.ok(codes >= 4, `found ${codes} stored codes`);
  const logs = outputs.join("\n");
  for (const [name, value] of Object.entries(plaintexts)) assert.ok(!logs.includes(value), `${name} found in the logs`);

  // One JSON line per request, with what an operator needs and nothing else.
  const requestLinesOf = (output: string) =>
    output
      .split("\n")
      .filter((line) => line.includes('"message":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  // The second life stopped in order, so each of its three requests has its line.
  assert.equal(requestLinesOf(outputs[1]!).length, 3);
  const requestLines = requestLinesOf(logs);
  for (const line of requestLines) {
    assert.deepEqual(
      ["durationMs", "method", "requestId", "route", "status"].filter((key) => !(key in line)),
      [],
      JSON.stringify(line),
    );
    assert.ok(!("authorization" in line) && !("body" in line));
  }
  assert.ok(requestLines.some((line) => line.route === "/management/v1/users/:user_id/secret"));
});

it("never echoes a client's value into the log, even when the answer quotes it", async () => {
  const service = await spawnService({ DATA_DIR: dataDir });
  const call = restClient({ url: service.url, adminToken: (await readFile(join(dataDir, "admin.pat"), "utf8")).trim() });
  const response = await call("POST", "/management/v1/users/human", {
    userName: "leaky",
    profile: { firstName: "L", lastName: "K" },
    email: { email: "leaky@example.com" },
    initialPassword: 987654321987,
  });
  assert.equal(response.status, 400);
  assert.match(JSON.stringify(response.body), /987654321987/, "the answer tells the caller which value was wrong");
  service.child.kill("SIGTERM");
  await service.exited;
  assert.ok(service.output().includes('"message":"request"'));
  assert.ok(!service.output().includes("987654321987"), "the value reached the log");
});
