import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EventStore } from "../events/eventStore.js";
import { createSqliteEventStore } from "../events/sqlite/sqliteEventStore.js";

/** Where the CLI finds a log: a SQLite file, or the service's data directory. */
export interface StoreLocation {
  readonly db?: string;
  readonly dataDir: string;
}

export const sqlitePath = ({ db, dataDir }: StoreLocation) => db ?? join(dataDir, "events.sqlite");

/** Opens the embedded log, the one `npm start` writes; `mustExist` refuses to create an empty one. */
export function openStore(location: StoreLocation, { mustExist }: { mustExist: boolean }): EventStore {
  const path = sqlitePath(location);
  if (mustExist && !existsSync(path)) throw new Error(`no event log at ${path}`);
  return createSqliteEventStore({ path });
}
