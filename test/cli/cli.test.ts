import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ADMIN_PAT_FILE } from "../../src/service.js";
import { restClient, startTestService } from "../support/service.js";

const run = promisify(execFile);
let dir: string;
let source: string;
let userId: string;
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

const linesOf = async (file: string) => (await readFile(file, "utf8")).trim().split("\n").map((line) => JSON.parse(line));
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

    const verified = await cli("verify", "--in", file);
    assert.equal(verified.code, 1);
    assert.match(verified.stderr, /3 problems/);
    assert.match(verified.stderr, /must have required property 'name'/);
    assert.match(verified.stderr, /duplicate event id/);
    assert.match(verified.stderr, /revision \d+, expected \d+/);

    const target = join(dir, "tampered-target");
    await mkdir(target);
    assert.equal((await cli("import", "--in", file, "--data-dir", target)).code, 1);
    const empty = await cli("export", "--data-dir", target);
    assert.equal(empty.code, 1, "no log was created");
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
