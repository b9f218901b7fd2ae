import Database from "better-sqlite3";
import { preparePrivateDatabaseFile } from "../privateFiles.js";
import type { KeyStore, SubjectKeyEntry } from "./keyStore.js";

/** Tries of the WAL truncation after an erasure while another process reads the file (50 ms apart). */
const CHECKPOINT_ATTEMPTS = 40;

export const KEY_STORE_FILE = "keys.sqlite";

interface Row {
  readonly state: "active" | "erasing" | "erased";
  readonly wrapped: string | null;
}

/**
 * The embedded key store: a SQLite file of its own (0600), apart from the log so that a key can
 * really be deleted. `secure_delete` overwrites a deleted key's bytes in the file, and an erasure
 * checkpoints the WAL so that no copy of the key is left in it either.
 */
export function createSqliteKeyStore(path: string): KeyStore {
  preparePrivateDatabaseFile(path);
  const db = new Database(path, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("secure_delete = ON");
  db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (subject TEXT PRIMARY KEY, state TEXT NOT NULL, wrapped TEXT) STRICT;
           CREATE TABLE IF NOT EXISTS instance_secret (id INTEGER PRIMARY KEY CHECK (id = 1), wrapped TEXT NOT NULL) STRICT;`);
  const select = db.prepare<[string], Row>("SELECT state, wrapped FROM subject_keys WHERE subject = ?");
  const selectMany = db.prepare<[string], Row & { subject: string }>("SELECT subject, state, wrapped FROM subject_keys WHERE subject IN (SELECT value FROM json_each(?))");
  const insert = db.prepare("INSERT INTO subject_keys (subject, state, wrapped) VALUES (?, 'active', ?) ON CONFLICT DO NOTHING");
  const setState = db.prepare("UPDATE subject_keys SET state = ? WHERE subject = ? AND state = ?");
  const tombstone = db.prepare("UPDATE subject_keys SET state = 'erased', wrapped = NULL WHERE subject = ?");
  const erasing = db.prepare<[], { subject: string }>("SELECT subject FROM subject_keys WHERE state = 'erasing'");
  const selectSecret = db.prepare<[], { wrapped: string }>("SELECT wrapped FROM instance_secret WHERE id = 1");
  const insertSecret = db.prepare("INSERT INTO instance_secret (id, wrapped) VALUES (1, ?) ON CONFLICT DO NOTHING");

  const entry = (row: Row | undefined): SubjectKeyEntry | undefined => {
    if (!row) return undefined;
    if (row.state === "erased" || row.wrapped === null) return { state: "erased" };
    return { state: row.state, wrapped: row.wrapped };
  };

  return {
    async get(subject) {
      return entry(select.get(subject));
    },
    async getMany(subjects) {
      return new Map(selectMany.all(JSON.stringify(subjects)).map((row) => [row.subject, entry(row)!]));
    },
    async create(subject, wrapped) {
      insert.run(subject, wrapped);
      return entry(select.get(subject))!;
    },
    async markErasing(subject) {
      setState.run("erasing", subject, "active");
    },
    async unmarkErasing(subject) {
      setState.run("active", subject, "erasing");
    },
    async erase(subject) {
      tombstone.run(subject);
      // The wrapped key's old page may still sit in the WAL: truncate it. A reader in another
      // process (a CLI export) makes the checkpoint busy: wait for it a while. Should it still be
      // busy, the WAL goes at the next checkpoint, at the latest when the last connection closes.
      for (let attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt++) {
        const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
        if (!result || result.busy === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async erasing() {
      return erasing.all().map((row) => row.subject);
    },
    async instanceSecret() {
      return selectSecret.get()?.wrapped;
    },
    async createInstanceSecret(wrapped) {
      insertSecret.run(wrapped);
      return selectSecret.get()!.wrapped;
    },
    async close() {
      db.close();
    },
  };
}
