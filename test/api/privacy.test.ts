import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ADMIN_PAT_FILE } from "../../src/service.js";
import { createSqliteKeyStore, KEY_STORE_FILE } from "../../src/privacy/sqliteKeyStore.js";
import { spawnService, type ServiceProcess } from "../support/process.js";
import { restClient } from "../support/service.js";

const run = promisify(execFile);

/** Values no other test uses, so that finding one anywhere on disk is this user's leak. */
const alice = {
  userName: "Xylo-Quarrel-7731",
  firstName: "Xanthippe",
  lastName: "Quuxworth",
  nickName: "Zyzzyvanick",
  displayName: "Xanthippe Q. Display",
  email: "xanthippe.quuxworth@mailhost-8841.example",
  phone: "+41791472583",
  metadata: "Vexillology-Secret-5519",
};
const distinctive = [...Object.values(alice), alice.userName.toLowerCase(), "+41 79 147 25 83"];

let dir: string;
let service: ServiceProcess;
let call: ReturnType<typeof restClient>;
let aliceId: string;
let bobId: string;

async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--data-dir", dir], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function start() {
  service = await spawnService({ DATA_DIR: dir, LOG_LEVEL: "debug" });
  call = restClient({ url: service.url, adminToken: (await readFile(join(dir, ADMIN_PAT_FILE), "utf8")).trim() });
}

async function stop() {
  service.child.kill("SIGTERM");
  await service.exited;
}

/** Every file the embedded mode writes the log to: the database and its write-ahead log. */
async function logFiles(): Promise<string> {
  const files = ["events.sqlite", "events.sqlite-wal"].map((name) => join(dir, name)).filter(existsSync);
  return (await Promise.all(files.map((file) => readFile(file, "latin1")))).join("\n");
}

const leaked = (haystack: string) => distinctive.filter((value) => haystack.includes(value) || haystack.includes(Buffer.from(value).toString("base64")));

const addHuman = (userName: string, extra: object = {}) =>
  call("POST", "/management/v1/users/human", {
    userName,
    profile: { firstName: alice.firstName, lastName: alice.lastName, nickName: alice.nickName, displayName: alice.displayName },
    email: { email: alice.email },
    phone: { phone: alice.phone },
    ...extra,
  });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-privacy-"));
  await start();
  const added = await addHuman(alice.userName);
  assert.equal(added.status, 200, JSON.stringify(added.body));
  aliceId = added.body.userId;
  const metadata = await call("POST", `/management/v1/users/${aliceId}/metadata/diary`, { value: Buffer.from(alice.metadata).toString("base64") });
  assert.equal(metadata.status, 200, JSON.stringify(metadata.body));
  bobId = (await call("POST", "/management/v1/users/human", { userName: "bob-kept", profile: { firstName: "Bob", lastName: "Kept" }, email: { email: "bob@example.com" } })).body.userId;
});
after(async () => {
  if (service.child.exitCode === null) await stop();
  await rm(dir, { recursive: true, force: true });
});

describe("personal data in the log is encrypted with the user's own key", () => {
  it("the API answers in plaintext as before", async () => {
    const { status, body } = await call("GET", `/management/v1/users/${aliceId}`);
    assert.equal(status, 200);
    assert.equal(body.user.userName, alice.userName);
    assert.equal(body.user.human.profile.firstName, alice.firstName);
    assert.equal(body.user.human.email.email, alice.email);
    const metadata = await call("GET", `/management/v1/users/${aliceId}/metadata/diary`);
    assert.equal(Buffer.from(metadata.body.metadata.value, "base64").toString(), alice.metadata);
    const events = await call("POST", "/admin/v1/events/_search", { aggregateId: aliceId, asc: true });
    assert.equal(events.body.events[0].payload.firstName, alice.firstName, "ListEvents opens the payload");
  });

  it("a userName stays unique, case-insensitively, with only its keyed hash stored", async () => {
    const taken = await addHuman(alice.userName.toUpperCase());
    assert.equal(taken.status, 409);
  });

  it("a creation refused for a taken userName leaves no key behind, however often it is sent, and racing creations of one new userName leave one", async () => {
    const keysHeld = async () => {
      const keys = createSqliteKeyStore(join(dir, KEY_STORE_FILE));
      let count = 0;
      for await (const _entry of keys.entries()) count++;
      await keys.close();
      return count;
    };
    const before = await keysHeld();
    for (let i = 0; i < 5; i++) assert.equal((await addHuman(alice.userName.toLowerCase())).status, 409);
    assert.equal(await keysHeld(), before);

    const userName = `racer-${Date.now()}`;
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => addHuman(userName)))).map((answer) => answer.status);
    assert.deepEqual(statuses.sort(), [200, 409, 409, 409, 409, 409, 409, 409]);
    assert.equal(await keysHeld(), before + 1);
  });

  it("none of the values is in the SQLite file, its WAL, an export, or the service's log output", async () => {
    assert.deepEqual(leaked(await logFiles()), []);
    const exported = await cli("export");
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /"\$enc":"v1:userName,firstName,lastName,nickName,displayName,gender,email,phone:/);
    assert.deepEqual(leaked(exported.stdout), []);
    assert.deepEqual(leaked(service.output()), []);
  });
});

describe("erasure", () => {
  let wrappedKey: string;

  before(async () => {
    const keys = createSqliteKeyStore(join(dir, KEY_STORE_FILE));
    const entry = await keys.get(aliceId);
    await keys.close();
    assert.equal(entry?.state, "active");
    wrappedKey = (entry as { wrapped: string }).wrapped;
  });

  it("refuses a user that is not removed, and one that never existed", async () => {
    const notRemoved = await call("POST", `/privacy/v1/users/${bobId}/_erase`);
    assert.equal(notRemoved.status, 400);
    assert.equal(notRemoved.body.details[0].id, "PRIVACY-r3Mv2");
    const unknown = await call("POST", "/privacy/v1/users/424242/_erase");
    assert.equal(unknown.status, 404);
  });

  it("is for instance owners only", async () => {
    const anonymous = await call("POST", `/privacy/v1/users/${aliceId}/_erase`, undefined, { token: null });
    assert.equal(anonymous.status, 401);
  });

  it("RemoveUser erases: the key is gone and the log says so", async () => {
    assert.equal((await call("DELETE", `/management/v1/users/${aliceId}`)).status, 200);
    const events = await call("POST", "/admin/v1/events/_search", { aggregateId: aliceId, asc: true });
    const types = events.body.events.map((e: { type: { type: string } }) => e.type.type);
    assert.deepEqual(types.slice(-2), ["user.removed", "user.personal.data.erased"]);
    const again = await call("POST", `/privacy/v1/users/${aliceId}/_erase`);
    assert.equal(again.status, 200, "erasing again changes nothing and is no error");
  });

  it("after a restart no API or CLI path returns the values, and the key is gone from the key store file", async () => {
    await stop();
    await start();
    assert.equal((await call("GET", `/management/v1/users/${aliceId}`)).status, 404);
    const events = await call("POST", "/admin/v1/events/_search", { aggregateId: aliceId, asc: true });
    assert.equal(events.status, 200);
    const added = events.body.events[0];
    assert.equal(added.type.type, "user.human.added");
    assert.equal(added.payload.firstName, "[erased]");
    assert.equal(added.payload.email, "[erased]");
    assert.ok(added.editor.userId, "who did what, and when, stays");
    assert.deepEqual(leaked(JSON.stringify(events.body)), []);

    const exported = await cli("export");
    assert.equal(exported.code, 0, exported.stderr);
    const aliceLines = exported.stdout.split("\n").filter((line) => line.includes(`"user-${aliceId}"`));
    assert.ok(aliceLines.length > 3);
    for (const line of aliceLines) assert.doesNotMatch(line, /\$enc/, "an export shows an erased user's fields as [erased]");
    assert.match(aliceLines[0]!, /"firstName":"\[erased\]"/);
    assert.deepEqual(leaked(exported.stdout), []);

    const verified = await cli("verify");
    assert.equal(verified.code, 0, verified.stderr);
    const rebuilt = await cli("rebuild");
    assert.equal(rebuilt.code, 0, rebuilt.stderr);

    const keyFiles = [KEY_STORE_FILE, `${KEY_STORE_FILE}-wal`].map((name) => join(dir, name)).filter(existsSync);
    const keyStoreBytes = (await Promise.all(keyFiles.map((file) => readFile(file, "latin1")))).join("");
    assert.ok(!keyStoreBytes.includes(wrappedKey), "the wrapped key is overwritten in the key store file");
    assert.deepEqual(leaked(await logFiles()), []);
    assert.deepEqual(leaked(service.output()), []);
  });

  it("idledger erase --user: refuses a user that is not removed, and erasing again is a no-op", async () => {
    const refused = await cli("erase", "--user", bobId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /remove the user first \(PRIVACY-r3Mv2\)/);
    const again = await cli("erase", "--user", aliceId);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /key is deleted/);
  });

  it("the userName is free again, and the other users are untouched", async () => {
    assert.equal((await addHuman(alice.userName, { profile: { firstName: "New", lastName: "Owner" } })).status, 200);
    assert.equal((await call("GET", `/management/v1/users/${bobId}`)).body.user.human.profile.firstName, "Bob");
  });
});
