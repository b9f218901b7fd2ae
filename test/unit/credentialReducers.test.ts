import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import type { UserEvent } from "../../src/events/user.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { collections, userMetadataId, type UserMetadataView } from "../../src/projections/views.js";

/** Given these events, one per commit as the projector would apply them: the read model they leave. */
async function projected(events: readonly (UserEvent & { readonly userId: string })[]) {
  const readModel = createMemoryReadModel();
  const revisions = new Map<string, number>();
  for (const [index, { userId, ...event }] of events.entries()) {
    const revision = revisions.get(userId) ?? 0;
    revisions.set(userId, revision + 1);
    const recorded: RecordedEvent = {
      id: `e${index}`,
      ...event,
      stream: `user-${userId}`,
      revision,
      position: BigInt(index + 1),
      metadata: { resourceOwner: "org-1", instanceId: "i", editorUser: "u", createdAt: "2026-01-01T00:00:00.000Z", correlationId: "c", causationId: "c", schemaVersion: 1 },
    };
    await readModel.commit((await reducers[event.type]?.(recorded, readModel)) ?? [], recorded.position);
  }
  return readModel;
}

const hash = (c: string) => `sha256:${c.repeat(64)}`;
const on = (userId: string, event: UserEvent) => ({ ...event, userId });
const machine = (userId: string) => on(userId, { type: "user.machine.added", data: { userName: userId, name: userId } });
const token = (userId: string, tokenId: string, tokenHash: string) =>
  on(userId, { type: "user.pat.added", data: { tokenId, expiration: "9999-12-31T23:59:59.000Z", scopes: ["openid"], tokenHash } });

describe("the read model on credential and metadata removals", () => {
  it("user.pat.removed deletes the document of that token of that user, found by its id though keyed by its hash", async () => {
    const readModel = await projected([
      machine("a"),
      machine("b"),
      token("a", "t1", hash("1")),
      token("a", "t2", hash("2")),
      // An imported log may repeat a tokenId on another user: that token is not the one removed.
      token("b", "t1", hash("3")),
      on("a", { type: "user.pat.removed", data: { tokenId: "t1" } }),
    ]);
    assert.equal(await readModel.get(collections.personalAccessTokens, hash("1")), undefined);
    assert.ok(await readModel.get(collections.personalAccessTokens, hash("2")));
    assert.ok(await readModel.get(collections.personalAccessTokens, hash("3")));
    assert.deepEqual(await readModel.find(collections.personalAccessTokens, "user", "a"), [hash("2")]);
  });

  it("user.removed forgets the user's tokens, secret hash and metadata, and nobody else's", async () => {
    const readModel = await projected([
      machine("a"),
      machine("b"),
      token("a", "t1", hash("1")),
      token("b", "t2", hash("2")),
      on("a", { type: "user.machine.secret.set", data: { hashedSecret: hash("4") } }),
      on("b", { type: "user.machine.secret.set", data: { hashedSecret: hash("5") } }),
      on("a", { type: "user.metadata.set", data: { key: "k", value: "AQ==" } }),
      on("a", { type: "user.metadata.set", data: { key: "l", value: "AQ==" } }),
      on("b", { type: "user.metadata.set", data: { key: "k", value: "Ag==" } }),
      on("a", { type: "user.removed", data: { userName: "a" } }),
    ]);
    assert.deepEqual(await readModel.find(collections.userMetadata, "user", "a"), []);
    assert.equal(await readModel.get(collections.userMetadata, userMetadataId("a", "k")), undefined);
    assert.deepEqual((await readModel.get<UserMetadataView>(collections.userMetadata, userMetadataId("b", "k")))?.value, "Ag==");
    assert.equal(await readModel.get(collections.personalAccessTokens, hash("1")), undefined);
    assert.equal(await readModel.get(collections.machineSecrets, "a"), undefined);
    assert.ok(await readModel.get(collections.personalAccessTokens, hash("2")));
    assert.deepEqual(await readModel.get(collections.machineSecrets, "b"), { hashedSecret: hash("5") });
  });
});
