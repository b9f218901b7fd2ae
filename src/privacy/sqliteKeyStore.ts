import Database from "better-sqlite3";
import { preparePrivateDatabaseFile } from "../privateFiles.js";
import type { InstanceSecret, KeyStore, SubjectKeyEntry } from "./keyStore.js";

/** Tries of the WAL truncation after an erasure while another process reads the file (50 ms apart). */
const CHECKPOINT_ATTEMPTS = 40;
const PAGE = 1000;

export const KEY_STORE_FILE = "keys.sqlite";

interface Row {
  readonly state: "active" | "erasing" | "erased";
  readonly wrapped: string | null;
}

/**
 * The embedded key store: a SQLite file of its own (0600), apart from the log so that a key can
 * really be deleted. `secure_delete` overwrites a deleted (or rewrapped) key's bytes in the file,
 * and an erasure or a rotation checkpoints the WAL so that no copy of the old bytes is left in it
 * either.
 */
export function createSqliteKeyStore(path: string): KeyStore {
  preparePrivateDatabaseFile(path);
  const db = new Database(path, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("secure_delete = ON");
  db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (subject TEXT PRIMARY KEY, state TEXT NOT NULL, wrapped TEXT) STRICT;
           CREATE TABLE IF NOT EXISTS instance_secret (id INTEGER PRIMARY KEY CHECK (id = 1), wrapped TEXT NOT NULL) STRICT;
           CREATE TABLE IF NOT EXISTS master_key_rotation (id INTEGER PRIMARY KEY CHECK (id = 1), next TEXT NOT NULL) STRICT;`);
  const select = db.prepare<[string], Row>("SELECT state, wrapped FROM subject_keys WHERE subject = ?");
  // Rows as arrays (raw mode): a replay reads every user's key through this, and better-sqlite3
  // builds an array twice as fast as an object with the columns' names.
  const selectMany = db
    .prepare<[string], [subject: string, state: Row["state"], wrapped: Row["wrapped"]]>("SELECT subject, state, wrapped FROM subject_keys WHERE subject IN (SELECT value FROM json_each(?))")
    .raw();
  const insert = db.prepare("INSERT INTO subject_keys (subject, state, wrapped) VALUES (?, 'active', ?) ON CONFLICT DO NOTHING");
  const setState = db.prepare("UPDATE subject_keys SET state = ? WHERE subject = ? AND state = ?");
  const tombstone = db.prepare("UPDATE subject_keys SET state = 'erased', wrapped = NULL WHERE subject = ?");
  const erasing = db.prepare<[], { subject: string }>("SELECT subject FROM subject_keys WHERE state = 'erasing'");
  const page = db.prepare<[string, number], Row & { subject: string }>("SELECT subject, state, wrapped FROM subject_keys WHERE subject > ? ORDER BY subject LIMIT ?");
  const rewrapOne = db.prepare("UPDATE subject_keys SET wrapped = ? WHERE subject = ? AND wrapped = ?");
  const selectSecret = db.prepare<[], { wrapped: string; next: string | null }>(
    "SELECT s.wrapped, r.next FROM instance_secret s LEFT JOIN master_key_rotation r ON r.id = 1 WHERE s.id = 1",
  );
  const insertSecret = db.prepare("INSERT INTO instance_secret (id, wrapped) VALUES (1, ?) ON CONFLICT DO NOTHING");
  const setSecret = db.prepare("UPDATE instance_secret SET wrapped = ? WHERE id = 1");
  const setNext = db.prepare("INSERT INTO master_key_rotation (id, next) VALUES (1, ?) ON CONFLICT DO NOTHING");
  const clearNext = db.prepare("DELETE FROM master_key_rotation WHERE id = 1");

  const entry = (row: Row | undefined): SubjectKeyEntry | undefined => {
    if (!row) return undefined;
    if (row.state === "erased" || row.wrapped === null) return { state: "erased" };
    return { state: row.state, wrapped: row.wrapped };
  };
  const secret = (): InstanceSecret | undefined => {
    const row = selectSecret.get();
    return row && (row.next === null ? { wrapped: row.wrapped } : { wrapped: row.wrapped, next: row.next });
  };
  // IMMEDIATE: the check and the write hold the write lock together, against another process too.
  const create = db.transaction((subject: string, wrapped: string, fence: string) => {
    const standing = secret();
    if (standing?.wrapped !== fence || standing.next !== undefined) return undefined;
    insert.run(subject, wrapped);
    return entry(select.get(subject));
  });
  const begin = db.transaction((current: string, next: string) => {
    const standing = secret();
    if (standing?.wrapped !== current || (standing.next !== undefined && standing.next !== next)) return false;
    setNext.run(next);
    return true;
  });
  const finish = db.transaction((next: string) => {
    if (secret()?.next !== next) return false;
    setSecret.run(next);
    clearNext.run();
    return true;
  });
  const rewrap = db.transaction((changes: readonly { subject: string; from: string; to: string }[]) => {
    let applied = 0;
    for (const { subject, from, to } of changes) applied += rewrapOne.run(to, subject, from).changes;
    return applied;
  });
  // Old pages may still sit in the WAL: truncate it. A reader in another process (a CLI export)
  // makes the checkpoint busy: wait for it a while. Should it still be busy, the WAL goes at the
  // next checkpoint, at the latest when the last connection closes.
  const truncateWal = async () => {
    for (let attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt++) {
      const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      if (!result || result.busy === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    async get(subject) {
      return entry(select.get(subject));
    },
    async getMany(subjects) {
      const entries = new Map<string, SubjectKeyEntry>();
      for (const [subject, state, wrapped] of selectMany.all(JSON.stringify(subjects))) entries.set(subject, entry({ state, wrapped })!);
      return entries;
    },
    async create(subject, wrapped, fence) {
      return create.immediate(subject, wrapped, fence);
    },
    async markErasing(subject) {
      setState.run("erasing", subject, "active");
    },
    async erase(subject) {
      tombstone.run(subject);
      await truncateWal();
    },
    async erasing() {
      return erasing.all().map((row) => row.subject);
    },
    async instanceSecret() {
      return secret();
    },
    async createInstanceSecret(wrapped) {
      insertSecret.run(wrapped);
      return secret()!;
    },
    async beginRotation(current, next) {
      return begin.immediate(current, next);
    },
    async *entries() {
      for (let after = ""; ; ) {
        const rows = page.all(after, PAGE);
        for (const row of rows) yield [row.subject, entry(row)!] as const;
        if (rows.length < PAGE) return;
        after = rows.at(-1)!.subject;
      }
    },
    async rewrap(changes) {
      return rewrap.immediate(changes);
    },
    async finishRotation(next) {
      const finished = finish.immediate(next);
      if (finished) await truncateWal();
      return finished;
    },
    async close() {
      db.close();
    },
  };
}
