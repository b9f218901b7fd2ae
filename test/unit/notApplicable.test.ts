import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decider, DomainEvent } from "../../src/commands/decider.js";
import { instanceDecider } from "../../src/commands/instance/decider.js";
import { orgDecider } from "../../src/commands/org/decider.js";
import { userDecider } from "../../src/commands/user/decider.js";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { EventNotApplicable } from "../../src/events/errors.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { reducers } from "../../src/projections/reducers/index.js";

/**
 * "Cannot be applied", in one place: evolve and the reducers throw EventNotApplicable for an
 * event that does not fit the aggregate's state, instead of ignoring it or failing with a TypeError.
 */
const metadata = {
  resourceOwner: "org-1",
  instanceId: "i",
  editorUser: "u",
  createdAt: "2026-01-01T00:00:00.000Z",
  correlationId: "c",
  causationId: "c",
  schemaVersion: 1,
};

let position = 0n;
const event = (stream: string, type: string, data: unknown = {}): RecordedEvent => ({ id: `e${++position}`, type, data, metadata, stream, revision: 0, position });

const machineAdded = (stream = "user-1") => event(stream, "user.machine.added", { userName: "robot", name: "Robot" });
const humanAdded = (stream = "user-1") => event(stream, "user.human.added", { userName: "alice", firstName: "A", lastName: "L", email: "a@example.com" });

/** Folds `history`, then applies `next`: the error it throws, if any. */
function evolveError<State>(decider: Decider<State, unknown, DomainEvent>, history: RecordedEvent[], next: RecordedEvent): unknown {
  const state = history.reduce((s, e) => decider.evolve(s, e as never), decider.initialState());
  try {
    decider.evolve(state, next as never);
  } catch (error) {
    return error;
  }
  return undefined;
}

const refuses = (error: unknown, says: RegExp) => {
  assert.ok(error instanceof EventNotApplicable, `expected EventNotApplicable, got ${String(error)}`);
  assert.match(error.message, says);
};

describe("evolve refuses an event that does not fit the aggregate", () => {
  const user = userDecider as unknown as Decider<unknown, unknown, DomainEvent>;

  it("a machine's change on a human, a human's verification on a machine", () => {
    refuses(evolveError(user, [humanAdded()], event("user-1", "user.machine.changed", { name: "x" })), /^user\.machine\.changed cannot be applied: the aggregate is human; it applies to machine$/);
    refuses(evolveError(user, [humanAdded()], event("user-1", "user.machine.secret.set", { hashedSecret: "sha256:00" })), /is human/);
    refuses(evolveError(user, [humanAdded()], event("user-1", "user.pat.added", {})), /is human/);
    refuses(evolveError(user, [machineAdded()], event("user-1", "user.human.email.verified")), /is machine; it applies to human/);
  });

  it("an event before its aggregate's first, and a second creation", () => {
    refuses(evolveError(user, [], event("user-1", "user.human.phone.verified")), /the aggregate is absent/);
    refuses(evolveError(user, [machineAdded()], humanAdded()), /^user\.human\.added cannot be applied: the aggregate is machine; it applies to absent$/);
    refuses(evolveError(orgDecider as never, [], event("org-1", "org.member.added", { userId: "u", roles: ["ORG_OWNER"] })), /absent/);
    refuses(evolveError(instanceDecider as never, [], event("instance", "instance.member.added", { userId: "u", roles: ["IAM_OWNER"] })), /absent/);
  });

  it("another aggregate's event on its stream", () => {
    refuses(evolveError(orgDecider as never, [event("org-1", "org.added", { name: "o" })], machineAdded("org-1")), /^user\.machine\.added cannot be applied: not an event of this aggregate$/);
  });

  it("folds what fits as before", () => {
    assert.equal(evolveError(user, [machineAdded(), event("user-1", "user.machine.secret.set", { hashedSecret: "sha256:00" })], event("user-1", "user.machine.changed", { name: "x" })), undefined);
  });
});

describe("reducers refuse an event that does not fit the read model", () => {
  const reduceError = async (history: RecordedEvent[], next: RecordedEvent) => {
    const readModel = createMemoryReadModel();
    for (const e of history) await readModel.commit((await reducers[e.type]?.(e, readModel)) ?? [], e.position);
    try {
      await reducers[next.type]!(next, readModel);
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it("a machine's change on a human is refused, not a TypeError", async () => {
    refuses(await reduceError([humanAdded()], event("user-1", "user.machine.changed", { name: "x" })), /the user is not a machine/);
    refuses(await reduceError([machineAdded()], event("user-1", "user.human.email.verified")), /the user is not a human/);
  });

  it("an event for a user or org that is not there, and a second creation", async () => {
    refuses(await reduceError([], event("user-9", "user.machine.secret.set", { hashedSecret: "sha256:00" })), /no such user/);
    refuses(await reduceError([], event("org-9", "org.domain.primary.set", { domain: "d" })), /no such org/);
    refuses(await reduceError([machineAdded()], machineAdded()), /the user exists already/);
  });
});
