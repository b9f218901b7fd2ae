import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { LIVE_TOKEN_BUCKET_MS, liveTokens } from "../../src/projections/reducers/oidcSessions.js";
import type { Doc, Write } from "../../src/projections/readModel.js";
import { collections, type LiveTokensView } from "../../src/projections/views.js";

/** One grant as the token endpoint records it, `issuedAt` ago... or ahead, with a token of `lifetimeMs`, projected. */
async function granted(sessionId: string, issuedAt: Date, lifetimeMs: number) {
  const readModel = createMemoryReadModel();
  const metadata = { resourceOwner: "org-1", instanceId: "i", editorUser: "u1", createdAt: issuedAt.toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 };
  const events: Omit<RecordedEvent, "position" | "revision">[] = [
    { id: "e1", type: "oidc_session.added", stream: `oidc_session-${sessionId}`, metadata, data: { userID: "u1", userResourceOwner: "org-1", clientID: "svc", audience: ["p1"] } },
    { id: "e2", type: "oidc_session.access_token.added", stream: `oidc_session-${sessionId}`, metadata, data: { id: sessionId, scope: ["openid"], lifetime: lifetimeMs * 1e6 } },
  ];
  for (const [revision, event] of events.entries()) {
    const recorded: RecordedEvent = { ...event, revision, position: BigInt(revision + 1) };
    await readModel.commit((await reducers[event.type]?.(recorded, readModel)) ?? [], recorded.position);
  }
  return readModel;
}

describe("OIDC sessions in the read model", () => {
  it("are read while their token lives, and leave the read model when the span their token expires in ends", async () => {
    const readModel = await granted("s1", new Date(), 300);
    assert.equal((await readModel.get(collections.oidcSessions, "s1"))?.sessionId, "s1");
    const metadata = { resourceOwner: "org-1", instanceId: "i", editorUser: "u1", createdAt: new Date(Date.UTC(2026, 0, 1, 12, 3)).toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 };
    const event: RecordedEvent = { id: "e2", type: "oidc_session.access_token.added", stream: "oidc_session-s1", metadata, data: { id: "s1", scope: [], lifetime: 60_000 * 1e6 }, revision: 1, position: 2n };
    const writes = await reducers[event.type]!(event, readModel);
    const session = writes.find((write) => write.collection === collections.oidcSessions);
    // Expires 12:04; its span 12:00-12:10: the document goes at 12:10, the token is refused from 12:04 by its expiry.
    assert.equal(session?.op === "put" && session.expiresAt, Date.UTC(2026, 0, 1, 12, 10));
    assert.equal(session?.op === "put" && (session.doc as { accessToken: { expiresAt: string } }).accessToken.expiresAt, new Date(Date.UTC(2026, 0, 1, 12, 4)).toISOString());
  });

  it("are not stored at all when a replay meets a grant whose token expired long ago", async () => {
    const readModel = await granted("s2", new Date(Date.now() - 13 * 3600_000), 12 * 3600_000);
    assert.equal(await readModel.get(collections.oidcSessions, "s2"), undefined);
  });
});

describe("a user's live tokens, counted in the read model", () => {
  const HOUR = 3600_000;
  let position = 0n;
  const project = async (readModel: ReturnType<typeof createMemoryReadModel>, type: string, sessionId: string, at: number, data: object) => {
    const metadata = { resourceOwner: "org-1", instanceId: "i", editorUser: "u1", createdAt: new Date(at).toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 };
    const recorded: RecordedEvent = { id: `e${++position}`, type, stream: `oidc_session-${sessionId}`, metadata, data, revision: 0, position };
    await readModel.commit((await reducers[type]?.(recorded, readModel)) ?? [], position);
  };
  const grant = async (readModel: ReturnType<typeof createMemoryReadModel>, sessionId: string, at: number, lifetimeMs = 12 * HOUR) => {
    await project(readModel, "oidc_session.added", sessionId, at, { userID: "u1", userResourceOwner: "org-1", clientID: "svc", audience: ["p1"] });
    await project(readModel, "oidc_session.access_token.added", sessionId, at, { id: sessionId, scope: [], lifetime: lifetimeMs * 1e6 });
  };
  const counted = async (readModel: ReturnType<typeof createMemoryReadModel>, now: number) =>
    liveTokens(await readModel.get<LiveTokensView>(collections.liveTokens, "u1"), now);

  it("counts each grant until its token expires (at most one bucket late), and says when the first one does", async () => {
    const readModel = createMemoryReadModel();
    const now = Date.now();
    await grant(readModel, "a", now - 11 * HOUR);
    await grant(readModel, "b", now - HOUR);
    await grant(readModel, "c", now);
    assert.equal((await counted(readModel, now)).count, 3);
    const first = (await counted(readModel, now)).firstExpiry!;
    assert.ok(first >= now + HOUR && first <= now + HOUR + LIVE_TOKEN_BUCKET_MS, "the oldest token's expiry, rounded up to its bucket");
    assert.equal((await counted(readModel, now + HOUR + LIVE_TOKEN_BUCKET_MS)).count, 2, "the oldest no longer counts once its bucket is past");
    assert.equal((await counted(readModel, now + 12 * HOUR + LIVE_TOKEN_BUCKET_MS)).count, 0);
  });

  it("counts a revocation out alike whether a rebuild meets it in its grant's batch or in a later one, after the token expired", async () => {
    // A token that expired a moment ago, in the span still running: its count still stands, and its
    // revocation (made before it expired) must take it away however the events are batched.
    let now = Date.now();
    const spanStart = Math.floor(now / LIVE_TOKEN_BUCKET_MS) * LIVE_TOKEN_BUCKET_MS;
    if (now - spanStart < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    now = Date.now();
    const expiry = spanStart + Math.floor((now - spanStart) / 2);
    const lifetime = 60_000;
    const apart = createMemoryReadModel();
    await grant(apart, "t", expiry - lifetime, lifetime);
    await project(apart, "oidc_session.access_token.revoked", "t", expiry - 1, {});
    assert.equal((await counted(apart, now)).count, 0, "batches of one event each");
    const together = createMemoryReadModel();
    const metadata = (at: number) => ({ resourceOwner: "org-1", instanceId: "i", editorUser: "u1", createdAt: new Date(at).toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 });
    const events: RecordedEvent[] = [
      { id: "b1", type: "oidc_session.added", stream: "oidc_session-t", metadata: metadata(expiry - lifetime), data: { userID: "u1", userResourceOwner: "org-1", clientID: "svc", audience: ["p1"] }, revision: 0, position: 1n },
      { id: "b2", type: "oidc_session.access_token.added", stream: "oidc_session-t", metadata: metadata(expiry - lifetime), data: { id: "t", scope: [], lifetime: lifetime * 1e6 }, revision: 1, position: 2n },
      { id: "b3", type: "oidc_session.access_token.revoked", stream: "oidc_session-t", metadata: metadata(expiry - 1), data: {}, revision: 2, position: 3n },
    ];
    // As the projector applies a batch: each reducer sees the batch's earlier writes, then one commit.
    const overlay = new Map<string, Write>();
    const view = {
      get: async <T extends Doc>(collection: string, id: string) => {
        const written = overlay.get(`${collection}\0${id}`);
        return written ? (written.op === "put" ? (written.doc as T) : undefined) : together.get<T>(collection, id);
      },
      find: (collection: string, index: string, value: string) => together.find(collection, index, value),
    };
    for (const event of events) for (const write of await reducers[event.type]!(event, view)) overlay.set(`${write.collection}\0${write.id}`, write);
    await together.commit([...overlay.values()], 3n);
    assert.equal((await counted(together, now)).count, 0, "one batch");
  });

  it("counts a revoked token out at once; a second revocation changes nothing", async () => {
    const readModel = createMemoryReadModel();
    const now = Date.now();
    await grant(readModel, "a", now);
    await grant(readModel, "b", now);
    await project(readModel, "oidc_session.access_token.revoked", "a", now, {});
    assert.equal((await counted(readModel, now)).count, 1);
    await project(readModel, "oidc_session.access_token.revoked", "a", now, {});
    assert.equal((await counted(readModel, now)).count, 1, "a second revocation of the same token (its session is gone) changes nothing");
  });

  it("drops the buckets past at each grant's own time, and stores nothing for a grant expired already (a replay of an old log)", async () => {
    const readModel = createMemoryReadModel();
    const now = Date.now();
    await grant(readModel, "long-gone", now - 30 * HOUR);
    assert.equal(await readModel.get(collections.liveTokens, "u1"), undefined, "its only bucket was past already: nothing stored");
    await grant(readModel, "short", now, 60_000);
    assert.equal((await counted(readModel, now)).count, 1);
    // Recorded half an hour later: by then the short token's bucket is past, and only the new one is kept.
    await grant(readModel, "later", now + 30 * 60_000);
    const doc = await readModel.get<LiveTokensView>(collections.liveTokens, "u1");
    assert.equal(doc?.buckets.length, 1);
    assert.equal((await counted(readModel, now)).count, 1, "counted at now, the pruned bucket would still be live");
  });
});
