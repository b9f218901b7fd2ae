import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { restClient, startTestService } from "../support/service.js";

const run = promisify(execFile);
// The usual umask: files created with the defaults would be 0644 and directories 0755.
process.umask(0o022);

const root = await mkdtemp(join(tmpdir(), "idledger-modes-"));
after(() => rm(root, { recursive: true, force: true }));

/** Every directory and file under `dir`, with its permission bits. */
async function modes(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = { ".": ((await stat(dir)).mode & 0o777).toString(8) };
  for (const entry of await readdir(dir, { recursive: true })) found[entry] = ((await stat(join(dir, entry))).mode & 0o777).toString(8);
  return found;
}

const onlyPrivate = (found: Record<string, string>) =>
  Object.fromEntries(Object.entries(found).map(([name, mode]) => [name, name === "." ? "700" : "600"]));

describe("files at rest", () => {
  it("a fresh DATA_DIR is 0700 and every file idledger writes in it is 0600: logs, WAL, keys, token, exports", async () => {
    const dataDir = join(root, "fresh", "data");
    const service = await startTestService({}, dataDir);
    try {
      const call = restClient(service);
      assert.equal((await call("POST", "/management/v1/users/machine", { userName: "at-rest", name: "At Rest" })).status, 200);
      const exported = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "export", "--data-dir", dataDir, "--out", join(dataDir, "backup.jsonl")]);
      assert.match(exported.stderr, /export: \d+ events/);

      const found = await modes(dataDir);
      for (const name of ["events.sqlite", "events.sqlite-wal", "events.sqlite-shm", "webhooks.sqlite", "webhooks.key", "codes.key", "admin.pat", "backup.jsonl"]) {
        assert.ok(name in found, `${name} is there to be checked`);
      }
      assert.deepEqual(found, onlyPrivate(found));
      assert.equal(((await stat(join(root, "fresh"))).mode & 0o777).toString(8), "700", "parents it had to create too");
    } finally {
      await service.dispose();
    }
  });

  it("an export written over an existing readable file leaves it 0600", async () => {
    const dataDir = join(root, "export-over");
    const service = await startTestService({}, dataDir);
    await service.close();
    const out = join(root, "existing.jsonl");
    await writeFile(out, "old\n", { mode: 0o644 });
    await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "export", "--data-dir", dataDir, "--out", out]);
    assert.equal(((await stat(out)).mode & 0o777).toString(8), "600");
  });

  it("an existing DATA_DIR left readable by others is tightened at start, files and left-over WAL included", async () => {
    const dataDir = join(root, "loose");
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    for (const name of ["events.sqlite", "events.sqlite-wal", "notes.txt"]) await writeFile(join(dataDir, name), "", { mode: 0o644 });
    const service = await startTestService({}, dataDir);
    try {
      const found = await modes(dataDir);
      assert.deepEqual(found, onlyPrivate(found));
    } finally {
      await service.close();
    }
  });
});
