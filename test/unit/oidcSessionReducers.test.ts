import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { collections } from "../../src/projections/views.js";

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
  it("are read while their token lives and gone once it expired", async () => {
    const readModel = await granted("s1", new Date(), 300);
    assert.equal((await readModel.get(collections.oidcSessions, "s1"))?.sessionId, "s1");
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await readModel.get(collections.oidcSessions, "s1"), undefined);
  });

  it("are not stored at all when a replay meets a grant whose token expired long ago", async () => {
    const readModel = await granted("s2", new Date(Date.now() - 13 * 3600_000), 12 * 3600_000);
    assert.equal(await readModel.get(collections.oidcSessions, "s2"), undefined);
  });
});
