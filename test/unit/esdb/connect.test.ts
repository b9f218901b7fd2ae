import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { EventStoreUnavailable } from "../../../src/events/errors.js";
import { connectEsdb } from "../../../src/events/esdb/client.js";
import { createEsdbEventStore } from "../../../src/events/esdb/esdbEventStore.js";
import { newEvent } from "../../contract/eventStore.js";

describe("eventstoredb connection strings", () => {
  const password = "s3cr3t-pa55";

  it("refuses the settings this client would get wrong, naming them, never quoting the string", () => {
    const refused: [string, RegExp][] = [
      [`esdb://admin:${password}@localhost:2113?tls=true&tlsVerifyCert=false`, /tlsVerifyCert=false is not supported.*tlsCAFile/],
      [`esdb://admin:${password}@localhost:2113?throwOnAppendFailure=false`, /throwOnAppendFailure=false/],
      [`esdb+discover://admin:${password}@cluster:2113?nodePreference=follower`, /nodePreference must be leader/],
      [`esdb://admin:${password}@localhost:2113?tls=false&tlsVerfyCert=true`, /unknown setting "tlsVerfyCert"/],
      [`http://admin:${password}@localhost:2113`, /must start with esdb/],
      [`esdb://admin:${password}@localhost:2113?tls=maybe`, /expected true or false/],
    ];
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      for (const [connectionString, message] of refused) {
        assert.throws(() => connectEsdb(connectionString), (error: Error) => message.test(error.message) && !error.message.includes(password), connectionString);
      }
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [], "nothing printed (the client's warnings quote the whole string)");
  });

  it("accepts single nodes, TLS with a CA file option and credentials, and discovery for clusters", async () => {
    for (const connectionString of [
      "esdb://localhost:2113?tls=false",
      `esdb://idledger:${password}@node1:2113,node2:2113,node3:2113?tls=true&tlsVerifyCert=true&keepAliveInterval=10000`,
      `esdb+discover://idledger:${password}@cluster.internal:2113?nodePreference=leader&maxDiscoverAttempts=3`,
    ]) {
      await connectEsdb(connectionString).dispose();
    }
  });
});

// A node that resets every stream, as a restarting EventStoreDB does: grpc-js reports
// "13 INTERNAL: Received RST_STREAM with code 2". Loopback only.
describe("eventstoredb client against a node resetting every stream", () => {
  const paths: string[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let server: http2.Http2Server;
  let port = 0;
  before(async () => {
    server = http2.createServer();
    server.on("session", (session) => sessions.add(session));
    server.on("stream", (stream, headers) => {
      paths.push(String(headers[":path"]));
      stream.on("error", () => {}); // the reset it sends itself
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  // the client's dispose() leaves its channel open: close the node's side of it
  after(() => {
    for (const session of sessions) session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("answers EventStoreUnavailable, and every append reaches the node again (no feature probe to fail for good)", async () => {
    const store = createEsdbEventStore({ client: connectEsdb(`esdb://127.0.0.1:${port}?tls=false`), appendDeadlineMs: 2000 });
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const reached = paths.length;
        await assert.rejects(store.append("user-1", [newEvent()], { expectedRevision: "no_stream" }), EventStoreUnavailable);
        assert.ok(paths.length > reached, `append ${attempt} reached the node`);
      }
      await assert.rejects(store.readStream("user-1"), EventStoreUnavailable);
      assert.ok(!paths.some((path) => path.includes("ServerFeatures")), paths.join(", "));
    } finally {
      await store.close();
    }
  });
});
