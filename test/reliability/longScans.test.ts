import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { createAuditLog } from "../../src/audit/auditLog.js";
import type { EventFilter } from "../../src/audit/eventFilter.js";
import type { EventScope } from "../../src/audit/scope.js";
import type { NewEvent } from "../../src/events/envelope.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore, type SqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/service.js";

// Many pages of the SQLite adapter (2,000 events each).
const BULK = 40_000;

/** An event no reducer acts on, so a big log costs the projector little. */
const bulkEvent = (resourceOwner = "bulk-org"): NewEvent => ({
  id: randomUUID(),
  type: "instance.added",
  data: { instanceId: "bulk", name: "bulk", defaultOrgId: "bulk", adminUserId: "bulk" },
  metadata: {
    resourceOwner,
    instanceId: "bulk",
    editorUser: "bulk-editor",
    createdAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    schemaVersion: 1,
  },
});

/** Appends `count` events, one stream each, in appends that group commit puts in few transactions. */
async function appendBulk(store: EventStore, count: number, event = bulkEvent): Promise<void> {
  for (let done = 0; done < count; done += 5000) {
    const batch = Math.min(5000, count - done);
    await Promise.all(Array.from({ length: batch }, () => store.append(`user-bulk-${randomUUID()}`, [event()], { expectedRevision: "no_stream" })));
  }
}

/**
 * Starts `scan`, and in the same turn asks the event loop for its next turn, as another request
 * would need one. Returns which of the two finished first.
 */
async function firstToFinish(scan: () => Promise<unknown>): Promise<string[]> {
  const order: string[] = [];
  const scanned = scan().then(() => order.push("scan"));
  const other = nextTurn().then(() => order.push("other request"));
  await Promise.all([scanned, other]);
  return order;
}

const drain = async (events: AsyncIterable<unknown>) => {
  for await (const _ of events);
};

const noFilter: EventFilter = {
  sequence: 0n,
  limit: 0,
  asc: true,
  editorUserId: "",
  eventTypes: new Set(),
  aggregateId: "",
  aggregateTypes: new Set(),
  resourceOwner: "",
};
const everything: EventScope = { kind: "instance" };

describe("long scans of the SQLite log", () => {
  let dir = "";
  let store: SqliteEventStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "idledger-scans-"));
    store = createSqliteEventStore({ path: join(dir, "events.db") });
    await appendBulk(store, BULK);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("let the event loop serve others between pages, forwards and backwards", async () => {
    assert.deepEqual(await firstToFinish(() => drain(store.readAll())), ["other request", "scan"]);
    assert.deepEqual(await firstToFinish(() => drain(store.readAll({ direction: "backwards" }))), ["other request", "scan"]);
  });

  it("in a catch-up subscription too", async () => {
    const head = await store.headPosition();
    const subscription = store.subscribe();
    const catchUp = async () => {
      for await (const event of subscription) if (event.position === head) break;
    };
    assert.deepEqual(await firstToFinish(catchUp), ["other request", "scan"]);
    await subscription.close();
  });

  it("in ListEvents filtered by type, scoped to an org, or newest first", async () => {
    const audit = createAuditLog({ store, readModel: createMemoryReadModel() });
    const sparse = [
      () => audit.events({ ...noFilter, eventTypes: new Set(["user.machine.added"]) }, everything),
      () => audit.events(noFilter, { kind: "org", orgId: "an-org-without-events" }),
      () => audit.events({ ...noFilter, asc: false, resourceOwner: "nobody" }, everything),
    ];
    for (const scan of sparse) assert.deepEqual(await firstToFinish(scan), ["other request", "scan"]);
  });
});

describe("ListEvents bounds", () => {
  let dir = "";
  let store: SqliteEventStore;
  const marked: bigint[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "idledger-bounds-"));
    store = createSqliteEventStore({ path: join(dir, "events.db") });
    // 300 events; the org "marked" owns the 11th and the 291st.
    for (let i = 1; i <= 300; i++) {
      const { events } = await store.append(`user-${i}`, [bulkEvent(i === 11 || i === 291 ? "marked" : "bulk-org")], { expectedRevision: "no_stream" });
      if (i === 11 || i === 291) marked.push(events[0]!.position);
    }
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("read at most maxScannedEvents per page and answer the matches found so far: oldest first from the start, newest first from the end", async () => {
    const audit = createAuditLog({ store, readModel: createMemoryReadModel(), maxScannedEvents: 100 });
    const positions = async (filter: Partial<EventFilter>) =>
      (await audit.events({ ...noFilter, resourceOwner: "marked", ...filter }, everything)).map((entry) => entry.event.position);
    assert.deepEqual(await positions({ asc: true }), [marked[0]]);
    assert.deepEqual(await positions({ asc: false }), [marked[1]]);
    // Paging on from where the scan ended finds the rest.
    assert.deepEqual(await positions({ asc: true, sequence: marked[0]! + 100n }), []);
    assert.deepEqual(await positions({ asc: true, sequence: marked[1]! - 50n }), [marked[1]]);
    assert.deepEqual(await positions({ asc: false, sequence: marked[0]! + 50n }), [marked[0]]);
    const unbounded = createAuditLog({ store, readModel: createMemoryReadModel() });
    assert.deepEqual((await unbounded.events({ ...noFilter, resourceOwner: "marked", asc: false }, everything)).map((e) => e.event.position), [...marked].reverse());
  });
});

describe("a long scan behind the API", () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
    await appendBulk(service.store, BULK);
    // The one event of its type, at the end of the log: what a filtered stream finds last.
    await service.store.append(`user-bulk-${randomUUID()}`, [{ ...bulkEvent(), type: "user.human.phone.verified", data: {} }], { expectedRevision: "no_stream" });
    // Once ready, the read model has reached the log's head: requests below need not wait for it
    // (on a loaded machine projecting the bulk takes longer than a request's consistency wait).
    await eventually(() => fetch(`${service.url}/debug/ready`).then((r) => r.status), (status) => status === 200, 60_000);
  });
  after(() => service.dispose());

  /** Sends a request as raw bytes; resolves with the status line once the answer is complete. */
  function send(request: string): Promise<string> {
    const socket = net.connect(service.port, "127.0.0.1");
    socket.write(request);
    let answer = "";
    socket.setEncoding("latin1").on("data", (chunk: string) => (answer += chunk));
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.once("close", () => resolve(answer.slice(0, answer.indexOf("\r\n"))));
    });
  }

  const healthz = () => send("GET /debug/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

  it("does not keep /debug/healthz waiting while ListEvents scans the log for a type it does not hold", async () => {
    const body = JSON.stringify({ asc: true, eventTypes: ["user.machine.secret.removed"] });
    const order: string[] = [];
    const list = send(
      `POST /admin/v1/events/_search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service.adminToken}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    ).then((status) => order.push(`ListEvents ${status}`));
    // A few turns of the event loop: enough for the server to read the request and start its scan
    // (before the fix, nothing else runs from then until the scan ends), a small part of the
    // turns the scan itself takes once it yields after each of its 20 pages.
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    const probe = healthz().then((status) => order.push(`healthz ${status}`));
    await Promise.all([list, probe]);
    assert.deepEqual(order, ["healthz HTTP/1.1 200 OK", "ListEvents HTTP/1.1 200 OK"]);
  });

  it("does not keep /debug/healthz waiting while the SSE stream catches up through the log with a filter", async () => {
    const order: string[] = [];
    const stream = net.connect(service.port, "127.0.0.1");
    stream.write(`GET /events/v1/stream?types=user.human.phone.verified HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service.adminToken}\r\n\r\n`);
    let received = "";
    let probe: Promise<unknown> | undefined;
    const found = new Promise<void>((resolve) => {
      stream.setEncoding("latin1").on("data", (chunk: string) => {
        received += chunk;
        // The stream's head is written just before its catch-up starts: ask for healthz then.
        if (!probe && received.includes("\r\n\r\n")) probe = healthz().then((status) => order.push(`healthz ${status}`));
        if (received.includes("event: user.human.phone.verified")) resolve();
      });
    });
    await found.then(() => order.push("SSE frame found"));
    await probe;
    stream.destroy();
    assert.deepEqual(order, ["healthz HTTP/1.1 200 OK", "SSE frame found"]);
  });
});
