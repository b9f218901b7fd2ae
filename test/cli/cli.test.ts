import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { ADMIN_PAT_FILE } from "../../src/service.js";
import { KEY_FILES } from "../../src/crypto/keyFile.js";
import { KEY_STORE_FILE } from "../../src/privacy/sqliteKeyStore.js";
import { restClient, startTestService } from "../support/service.js";

const run = promisify(execFile);
let dir: string;
let source: string;
let userId: string;
let humanId: string;
/** A machine user whose metadata and tokens were set and partly removed. */
let credentialsId: string;

/** Runs the CLI as a user would (`npm run cli -- ...`), in its own process. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** `cat file | idledger ...`, through a shell's pipe. */
async function cliFromPipe(file: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run("sh", ["-c", `node="$1"; shift; cat "$0" | "$node" --import tsx src/cli/main.ts "$@"`, file, process.execPath, ...args]);
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

const linesOf = async (file: string) => (await readFile(file, "utf8")).trim().split("\n").map((line) => JSON.parse(line));
/** An export is readable only with the key store and master key that sealed it: a target gets copies (docs/privacy.md). */
const withKeysOf = async (from: string, to: string) => {
  for (const file of [KEY_STORE_FILE, KEY_FILES.personalData]) await copyFile(join(from, file), join(to, file));
};
const withoutPosition = ({ position: _, ...rest }: Record<string, unknown>) => rest;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-cli-"));
  source = join(dir, "source");
  const service = await startTestService({}, source);
  const call = restClient(service);
  const robot = await call("POST", "/management/v1/users/machine", { userName: "exported", name: "Exported" });
  userId = robot.body.userId;
  await call("PUT", `/management/v1/users/${userId}/secret`, {});
  credentialsId = (await call("POST", "/management/v1/users/machine", { userName: "with-credentials", name: "Credentials" })).body.userId;
  const user = `/management/v1/users/${credentialsId}`;
  await call("POST", `${user}/metadata/_bulk`, { metadata: [{ key: "kept", value: "dg==" }, { key: "dropped", value: "dg==" }] });
  await call("DELETE", `${user}/metadata/dropped`);
  const removedToken = await call("POST", `${user}/pats`, {});
  await call("POST", `${user}/pats`, {});
  await call("DELETE", `${user}/pats/${removedToken.body.tokenId}`);
  for (let i = 0; i < 10; i++) await call("POST", "/management/v1/users/machine", { userName: `bulk-${i}`, name: "Bulk" });
  const human = await call("POST", "/management/v1/users/human", { userName: "alice", profile: { firstName: "Alice", lastName: "L" }, email: { email: "alice@example.com" } });
  humanId = human.body.userId;
  await call("POST", "/management/v1/users/machine", { userName: "after-alice", name: "After" });
  await service.close();
});
after(() => rm(dir, { recursive: true, force: true }));

describe("idledger export / import / verify / rebuild", () => {
  it("exports the log as JSON Lines, with plain progress lines when not on a terminal", async () => {
    const out = join(dir, "all.jsonl");
    const { code, stderr } = await cli("export", "--data-dir", source, "--out", out);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /export: \d+ events in [\d.]+ s \(\d+ events\/s\)/);
    const events = await linesOf(out);
    assert.ok(events.length > 20);
    assert.deepEqual(Object.keys(events[0]).sort(), ["data", "id", "metadata", "position", "revision", "stream", "type"]);
    assert.equal(events[0].type, "instance.added");
    assert.equal(typeof events[0].position, "string");
    assert.ok(events.some((e) => e.type === "user.machine.secret.set" && /^sha256:/.test(e.data.hashedSecret)), "an export is a full backup");
  });

  it("exports a range of positions: after --from, up to --to", async () => {
    const { code, stdout } = await cli("export", "--data-dir", source, "--from", "3", "--to", "7");
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split("\n").map((line) => JSON.parse(line).position), ["4", "5", "6", "7"]);
  });

  it("imports an export into an empty log that serves the same state, uniqueness included", async () => {
    const out = join(dir, "roundtrip.jsonl");
    await cli("export", "--data-dir", source, "--out", out);
    const target = join(dir, "target");
    await mkdir(target);
    await withKeysOf(source, target);
    const imported = await cli("import", "--in", out, "--data-dir", target);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /well-formed/);

    const again = join(dir, "again.jsonl");
    await cli("export", "--data-dir", target, "--out", again);
    assert.deepEqual((await linesOf(again)).map(withoutPosition), (await linesOf(out)).map(withoutPosition));
    assert.equal((await cli("verify", "--data-dir", target)).code, 0);

    await copyFile(join(source, ADMIN_PAT_FILE), join(target, ADMIN_PAT_FILE));
    const service = await startTestService({}, target);
    try {
      const call = restClient(service);
      const user = await call("GET", `/management/v1/users/${userId}`);
      assert.equal(user.status, 200);
      assert.equal(user.body.user.machine.hasSecret, true);
      const metadata = await call("POST", `/management/v1/users/${credentialsId}/metadata/_search`, {});
      assert.deepEqual(metadata.body.result.map((entry: { key: string }) => entry.key), ["kept"]);
      assert.equal((await call("POST", `/management/v1/users/${credentialsId}/pats/_search`, {})).body.details.totalResult, "1");
      const duplicate = await call("POST", "/management/v1/users/machine", { userName: "EXPORTED", name: "Again" });
      assert.equal(duplicate.status, 409);
    } finally {
      await service.close();
    }
  });

  it("import seals the personal data of a log exported before idledger encrypted it, and the service reads it back", async () => {
    const metadata = { resourceOwner: "o-legacy", instanceId: "i-legacy", editorUser: "u-legacy", createdAt: "2026-01-01T00:00:00.000Z", correlationId: "c", causationId: "c", schemaVersion: 1 };
    const data = { userName: "zelda-legacy", firstName: "Zeldafirst", lastName: "Legacylast", displayName: "Zelda L", gender: 0, email: "zelda-legacy@example.com" };
    const legacy = join(dir, "legacy.jsonl");
    await writeFile(legacy, JSON.stringify({ id: randomUUID(), type: "user.human.added", stream: "user-77", revision: 0, position: "1", data, metadata }) + "\n");
    const target = join(dir, "legacy-target");
    await mkdir(target);
    const imported = await cli("import", "--in", legacy, "--data-dir", target);
    assert.equal(imported.code, 0, imported.stderr);

    const store = createSqliteEventStore({ path: join(target, "events.sqlite") });
    try {
      const [stored] = await store.readStream("user-77");
      assert.deepEqual(Object.keys(stored!.data as object), ["$enc"], "the plaintext payload went in sealed");
    } finally {
      await store.close();
    }
    for (const file of ["events.sqlite", KEY_STORE_FILE]) {
      const bytes = await readFile(join(target, file));
      for (const value of ["Zeldafirst", "Legacylast", "zelda-legacy"]) assert.equal(bytes.includes(value), false, `${value} in ${file}`);
    }
    const service = await startTestService({}, target);
    try {
      const listed = await restClient(service)("POST", "/admin/v1/events/_search", { asc: true, eventTypes: ["user.human.added"] });
      assert.equal(listed.status, 200);
      const event = listed.body.events.find((e: { aggregate: { id: string } }) => e.aggregate.id === "77");
      assert.equal(event.payload.firstName, "Zeldafirst");
      assert.equal(event.payload.email, "zelda-legacy@example.com");
    } finally {
      await service.close();
    }
  });

  it("refuses to import into a log that is not empty", async () => {
    const out = join(dir, "refuse.jsonl");
    await cli("export", "--data-dir", source, "--out", out);
    const { code, stderr } = await cli("import", "--in", out, "--data-dir", source);
    assert.equal(code, 1);
    assert.match(stderr, /not empty/);
  });

  it("verify finds duplicate ids, revision gaps and invalid payloads; import refuses such a file and appends nothing", async () => {
    const events = await linesOf(join(dir, "all.jsonl"));
    const robotAdded = events.findIndex((e) => e.type === "user.machine.added" && e.data.userName === "bulk-3");
    const tampered = events.map((event) => ({ ...event }));
    tampered[robotAdded] = { ...tampered[robotAdded], data: { userName: "bulk-3" } };
    tampered[robotAdded + 1] = { ...tampered[robotAdded + 1], id: tampered[1].id };
    const secret = tampered.findIndex((e) => e.type === "user.machine.secret.set");
    tampered[secret] = { ...tampered[secret], revision: tampered[secret].revision + 1 };
    const file = join(dir, "tampered.jsonl");
    await writeFile(file, tampered.map((e) => JSON.stringify(e)).join("\n") + "\n");

    const verified = await cli("verify", "--in", file, "--data-dir", source);
    assert.equal(verified.code, 1);
    assert.match(verified.stderr, /3 problems/);
    assert.match(verified.stderr, /must have required property 'name'/);
    assert.match(verified.stderr, /duplicate event id/);
    assert.match(verified.stderr, /revision \d+, expected \d+/);

    const target = join(dir, "tampered-target");
    await mkdir(target);
    await withKeysOf(source, target);
    assert.equal((await cli("import", "--in", file, "--data-dir", target)).code, 1);
    const empty = await cli("export", "--data-dir", target);
    assert.equal(empty.code, 1, "no log was created");
  });

  it("verify and import refuse an event the service cannot apply (a machine's change on a human), naming its position, type and stream", async () => {
    const events = await linesOf(join(dir, "all.jsonl"));
    const humanEvents = events.filter((e) => e.stream === `user-${humanId}`);
    const last = humanEvents.at(-1);
    const wrong = { ...last, id: randomUUID(), type: "user.machine.changed", revision: last.revision + 1, data: { name: "no machine" }, metadata: { ...last.metadata, schemaVersion: 1 } };
    const at = events.indexOf(last) + 1;
    const withWrong = [...events.slice(0, at), wrong, ...events.slice(at)].map((event, i) => ({ ...event, position: String(i + 1) }));
    const file = join(dir, "semantically-wrong.jsonl");
    await writeFile(file, withWrong.map((e) => JSON.stringify(e)).join("\n") + "\n");

    const verified = await cli("verify", "--in", file, "--data-dir", source);
    assert.equal(verified.code, 1, verified.stderr);
    assert.match(verified.stderr, /1 problems/);
    assert.match(
      verified.stderr,
      new RegExp(`position ${at + 1} user\\.machine\\.changed \\(user-${humanId}@${wrong.revision}, ${wrong.id}\\): EventNotApplicable: user\\.machine\\.changed cannot be applied: the aggregate is human; it applies to machine`),
    );

    const target = join(dir, "semantically-wrong-target");
    await mkdir(target);
    await withKeysOf(source, target);
    const imported = await cli("import", "--in", file, "--data-dir", target);
    assert.equal(imported.code, 1, imported.stderr);
    assert.equal((await cli("export", "--data-dir", target)).code, 1, "nothing was imported: no log was created");
  });

  it("a log holding such an event: the service parks it, stays ready and serves the rest; failed-events lists it", { timeout: 60_000 }, async () => {
    const parkedDir = join(dir, "parked");
    await mkdir(parkedDir);
    for (const file of ["events.sqlite", ADMIN_PAT_FILE]) await copyFile(join(source, file), join(parkedDir, file));
    await withKeysOf(source, parkedDir);
    // As stored: the human's events are sealed, which the schema check in front of a store cannot read.
    const log = createSqliteEventStore({ path: join(parkedDir, "events.sqlite") });
    const [lastOfHuman] = (await log.readStream(`user-${humanId}`)).slice(-1);
    const { events: [wrong] } = await log.append(`user-${humanId}`, [{ id: randomUUID(), type: "user.machine.changed", data: { name: "no machine" }, metadata: { ...lastOfHuman!.metadata, schemaVersion: 1 } }], {
      expectedRevision: lastOfHuman!.revision,
    });
    await log.append(`user-${userId}`, [{ id: randomUUID(), type: "user.machine.changed", data: { description: "after the wrong one" }, metadata: { ...lastOfHuman!.metadata, schemaVersion: 1 } }], {
      expectedRevision: 1,
    });
    await log.close();

    const service = await startTestService({}, parkedDir);
    try {
      const call = restClient(service);
      const ready = await fetch(`${service.url}/debug/ready`);
      assert.equal(ready.status, 200, "parked events leave the instance ready");
      assert.match(await ready.text(), /^ok\nparked events: 1 /);
      assert.equal((await call("GET", `/management/v1/users/${userId}`)).body.user.machine.description, "after the wrong one", "events after the parked one are projected");
      const human = await call("GET", `/management/v1/users/${humanId}`);
      assert.equal(human.status, 200);
      assert.equal(human.body.user.details.sequence, String(wrong!.revision), "the parked event did not move the human's details");
    } finally {
      await service.close();
    }

    const listed = await cli("failed-events", "--data-dir", parkedDir);
    assert.equal(listed.code, 1, listed.stderr);
    assert.match(listed.stderr, /failed-events: 1 parked/);
    const [record] = listed.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(record.position, wrong!.position.toString());
    assert.equal(record.eventId, wrong!.id);
    assert.equal(record.type, "user.machine.changed");
    assert.equal(record.stream, `user-${humanId}`);
    assert.match(record.error, /cannot be applied/);
    const rebuilt = await cli("rebuild", "--data-dir", parkedDir);
    assert.equal(rebuilt.code, 1);
    assert.match(rebuilt.stderr, /1 events parked/);
  });

  it("import reads its input once: from a pipe it imports everything, as from the file", async () => {
    const file = join(dir, "all.jsonl");
    const expected = (await linesOf(file)).map(withoutPosition);
    for (const [name, arg] of [["stdin-dash", "-"], ["stdin-device", "/dev/stdin"]] as const) {
      const target = join(dir, `piped-${name}`);
      await mkdir(target);
      await withKeysOf(source, target);
      const piped = await cliFromPipe(file, "import", "--in", arg, "--data-dir", target);
      assert.equal(piped.code, 0, piped.stderr);
      const again = join(dir, `piped-${name}.jsonl`);
      assert.equal((await cli("export", "--data-dir", target, "--out", again)).code, 0);
      assert.deepEqual((await linesOf(again)).map(withoutPosition), expected, `--in ${arg}`);
    }
  });

  it("import refuses a line longer than 2 MiB without reading it whole, an event over 1 MiB, and a userName taken twice; nothing is appended", async () => {
    const events = await linesOf(join(dir, "all.jsonl"));
    const robot = events.find((e) => e.stream === `user-${userId}` && e.revision === 0);
    const next = (data: unknown) => ({ ...robot, id: randomUUID(), type: "user.machine.changed", revision: events.filter((e) => e.stream === robot.stream).length, position: String(events.length + 1), data });
    const sameName = { ...robot, id: randomUUID(), stream: "user-999", position: String(events.length + 1) };
    const cases = [
      { name: "huge-line", extra: next({ description: "x".repeat(3 * 1024 * 1024) }), says: /line \d+: longer than 2097152 bytes/ },
      { name: "huge-event", extra: next({ description: "x".repeat(1024 * 1024 + 10) }), says: /\d+ bytes of data, metadata and type, more than the 1048576 an append may hold/ },
      { name: "same-username", extra: sameName, says: new RegExp(`usernames value "exported" is claimed already by user-${userId}`) },
    ];
    for (const { name, extra, says } of cases) {
      const file = join(dir, `${name}.jsonl`);
      await writeFile(file, [...events, extra].map((e) => JSON.stringify(e)).join("\n") + "\n");
      const target = join(dir, `${name}-target`);
      await mkdir(target);
      await withKeysOf(source, target);
      const imported = await cli("import", "--in", file, "--data-dir", target);
      assert.equal(imported.code, 1, `${name}: ${imported.stderr}`);
      assert.match(imported.stderr, says, name);
      assert.equal((await cli("export", "--data-dir", target)).code, 1, `${name}: no log was created`);
    }
  });

  it("rebuild replays the whole log through the projections", async () => {
    const { code, stderr } = await cli("rebuild", "--data-dir", source);
    assert.equal(code, 0, stderr);
    const events = await linesOf(join(dir, "all.jsonl"));
    assert.match(stderr, new RegExp(`reached position ${events.at(-1).position}\\b`));
  });

  it("answers usage errors with exit code 2", async () => {
    assert.equal((await cli("bogus")).code, 2);
    assert.equal((await cli("import")).code, 2);
    assert.equal((await cli("export", "--data-dir", source, "--from", "x")).code, 2);
  });
});
