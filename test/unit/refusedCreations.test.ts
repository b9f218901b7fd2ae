import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, it } from "node:test";
import { uniqueConstraint } from "../../src/commands/uniqueConstraints.js";
import type { NewEvent } from "../../src/events/envelope.js";
import { UniqueConstraintViolation } from "../../src/events/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { createLogger } from "../../src/logger.js";
import { openPersonalData, type PersonalData } from "../../src/privacy/openPersonalData.js";
import { withClaimsInTurn } from "../../src/privacy/claimsInTurn.js";
import { withPersonalData } from "../../src/privacy/personalDataStore.js";

// A new user's key is made while its first event is sealed, before the append that may refuse its
// userName; the key of a refused creation could not be deleted safely afterwards, so the service's
// appends (withClaimsInTurn) refuse a taken userName before the key is made, and appends that claim
// one value take turns.

let dir: string;
let log: EventStore;
let personalData: PersonalData;

const metadata = () => ({ resourceOwner: "1", instanceId: "0", editorUser: "test", createdAt: new Date().toISOString(), correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1 });
const added = (userName: string): NewEvent => ({ id: randomUUID(), type: "user.human.added", data: { userName, firstName: "Ren", lastName: "Racer", email: `${userName}@example.com` }, metadata: metadata() });
const machineAdded = (userName: string): NewEvent => ({ id: randomUUID(), type: "user.machine.added", data: { userName, name: "Robot" }, metadata: metadata() });
const claim = (userName: string) => ({ expectedRevision: "no_stream" as const, uniqueConstraints: [uniqueConstraint("usernames", "add", userName)] });
let nextUser = 0;
const newUser = () => `user-${++nextUser}`;
// Every commit held back a while: without turns, each racer would have made its key before the first commit lands.
const slowCommits = (): EventStore => ({ ...log, append: async (...args) => (await sleep(30), log.append(...args)) });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-refused-creations-"));
  log = createSqliteEventStore({ path: join(dir, "events.sqlite") });
  personalData = await openPersonalData({ dataDir: dir, redisUrl: undefined, masterKeyFile: join(dir, "master.key"), log, logger: createLogger("error", true) });
});

after(async () => {
  await personalData.close();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

async function keysHeld(): Promise<number> {
  let count = 0;
  for await (const _entry of personalData.vault.keyStore.entries()) count++;
  return count;
}

it("racing creations of one new userName make one key, and a creation of a taken userName makes none", async () => {
  const store = withClaimsInTurn(withPersonalData(slowCommits(), personalData.vault));
  const create = (userName: string) => store.append(newUser(), [added(userName)], claim(userName));
  const before = await keysHeld();

  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => create("racer")));
  assert.equal(outcomes.filter((outcome) => outcome.status === "fulfilled").length, 1);
  for (const outcome of outcomes) if (outcome.status === "rejected") assert.ok(outcome.reason instanceof UniqueConstraintViolation, String(outcome.reason));
  assert.equal(await keysHeld(), before + 1);

  await assert.rejects(create("RACER"), UniqueConstraintViolation);
  assert.equal(await keysHeld(), before + 1);
  // Other userNames, each with its own key.
  await Promise.all([create("runner"), create("rider")]);
  assert.equal(await keysHeld(), before + 3);
});

it("a human creation that races a machine creation of its userName makes no key when the machine wins", async () => {
  const store = withClaimsInTurn(withPersonalData(slowCommits(), personalData.vault));
  const before = await keysHeld();
  for (let round = 0; round < 3; round++) {
    const userName = `contested-${round}`;
    const [machine, human] = await Promise.allSettled([store.append(newUser(), [machineAdded(userName)], claim(userName)), store.append(newUser(), [added(userName)], claim(userName))]);
    assert.equal(machine.status, "fulfilled");
    assert.ok(human.status === "rejected" && human.reason instanceof UniqueConstraintViolation);
  }
  assert.equal(await keysHeld(), before);
});

it("the personal-data layer alone (an import) checks nothing first: a retry of an append whose userName another user took since gets its first result", async () => {
  const store = withPersonalData(log, personalData.vault);
  const [first, second] = [newUser(), newUser()];
  const creation = [added("alice")];
  const original = await store.append(first, creation, claim("alice"));
  await store.append(first, [{ id: randomUUID(), type: "user.username.changed", data: { userName: "bob", oldUserName: "alice" }, metadata: metadata() }], {
    expectedRevision: 0,
    uniqueConstraints: [uniqueConstraint("usernames", "remove", "alice"), uniqueConstraint("usernames", "add", "bob")],
  });
  await store.append(second, [added("alice")], claim("alice"));

  const retried = await store.append(first, creation, claim("alice"));
  assert.deepEqual(
    retried.events.map(({ id, position }) => ({ id, position })),
    original.events.map(({ id, position }) => ({ id, position })),
  );
});
