import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EventStoreDBClient } from "@eventstore/db-client";
import { connectEsdb } from "../../src/events/esdb/client.js";
import { openEsdbEventStore } from "../../src/events/esdb/esdbEventStore.js";
import { testEsdbServer } from "./esdbServer.js";
import { testEventStore } from "./eventStore.js";

// Against a real EventStoreDB / KurrentDB when EVENTSTORE_URL names one (README: "Running the
// EventStoreDB contract suite"); otherwise one SKIP line per suite and every test reported as skipped.
const url = process.env.EVENTSTORE_URL;
const skipReason = "EVENTSTORE_URL is not set (no EventStoreDB server to run against)";
const restartCommand = process.env.EVENTSTORE_RESTART_COMMAND;
// a user and a password, and TLS (the default) not turned off
const secure = url !== undefined && /^esdb(\+discover)?:\/\/[^/@]+:[^/@]+@/.test(url) && !/[?&]tls=false/i.test(url);

testEventStore(
  "eventstoredb",
  async () => {
    if (!url) return undefined;
    const store = openEsdbEventStore(url);
    await store.headPosition();
    return { store, cleanup: () => store.close() };
  },
  { skipReason },
);

testEsdbServer(
  "eventstoredb",
  url
    ? {
        connect: () => connectEsdb(url),
        async tombstone(stream) {
          // the default ACL lets any user delete its streams; EVENTSTORE_ADMIN_URL when it does not
          const client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_ADMIN_URL ?? url);
          await client.tombstoneStream(stream).finally(() => client.dispose());
        },
        ...(restartCommand ? { restart: () => promisify(execFile)("sh", ["-c", restartCommand], { timeout: 60_000 }).then(() => {}) } : {}),
        ...(secure ? { leastPrivilege: true as const } : {}),
        skips: {
          restart: "EVENTSTORE_RESTART_COMMAND is not set (e.g. 'docker restart esdb-contract')",
          leastPrivilege: "EVENTSTORE_URL names no secure node with a user (esdb://user:password@host:2113?tlsCAFile=ca.crt)",
        },
      }
    : undefined,
  { skipReason },
);
