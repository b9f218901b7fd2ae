import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config.js";
import type { SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createLogger } from "../../src/logger.js";
import { openEventStore } from "../../src/service.js";

describe("SQLITE_WRITER_THREAD", () => {
  it("on and off decide where the embedded log commits; anything else is refused at start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idledger-writer-config-"));
    try {
      for (const [value, onThread] of [["on", true], ["off", false]] as const) {
        const config = loadConfig({ DATA_DIR: join(dir, value), SQLITE_WRITER_THREAD: value });
        await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
        const store = (await openEventStore(config, createLogger("error", true))) as SqliteEventStore;
        assert.equal(await store.writerReady(), onThread, value);
        await store.close();
      }
      assert.equal(loadConfig({}).sqliteWriterThread, "auto");
      assert.throws(() => loadConfig({ SQLITE_WRITER_THREAD: "yes" }), /SQLITE_WRITER_THREAD must be one of auto, on, off/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
