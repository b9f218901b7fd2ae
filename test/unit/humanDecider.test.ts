import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Evolving } from "../../src/commands/decider.js";
import { userDecider, type UserCommand } from "../../src/commands/user/decider.js";
import { DomainError } from "../../src/errors.js";
import type { UserEvent } from "../../src/events/user.js";

const metadata = {
  resourceOwner: "org-1",
  instanceId: "i",
  editorUser: "u",
  createdAt: "2026-01-01T00:00:00.000Z",
  correlationId: "c",
  causationId: "c",
  schemaVersion: 1,
};

/** Given these events, when this command: the events it decides, or the id it is refused with. */
function given(events: UserEvent[]) {
  const state = events.reduce((s, e) => userDecider.evolve(s, { ...e, metadata } as Evolving<UserEvent>), userDecider.initialState());
  return {
    when: (command: UserCommand) => userDecider.decide(command, state).events,
    rejects: (command: UserCommand) => {
      try {
        userDecider.decide(command, state);
      } catch (error) {
        assert.ok(error instanceof DomainError);
        return error.id;
      }
      assert.fail("expected the command to be refused");
    },
  };
}

const code = { code: { CryptoType: 0 as const, Algorithm: "aes-256-gcm", KeyID: "0123abcd", Crypted: "eA==" }, expiry: 3600e9 };
const humanAdded: UserEvent = {
  type: "user.human.added",
  data: { userName: "alice", firstName: "Alice", lastName: "A", displayName: "Alice A", gender: 0, email: "alice@example.com", phone: "+41791234567" },
};
const initCode: UserEvent = { type: "user.human.initialization.code.added", data: code };
const machineAdded: UserEvent = { type: "user.machine.added", data: { userName: "robot", name: "Robot" } };
const removed: UserEvent = { type: "user.removed", data: { userName: "alice" } };
const profile = { firstName: "Alice", lastName: "A", nickName: "", displayName: "Alice A", preferredLanguage: "", gender: 0 as 0 | 1 | 2 | 3 };
const resourceOwner = "org-1";

describe("ChangeHumanProfile", () => {
  const change = (fields: Partial<typeof profile> = {}, owner = resourceOwner): UserCommand => ({ type: "ChangeHumanProfile", resourceOwner: owner, profile: { ...profile, ...fields } });

  it("records only the fields that differ", () => {
    assert.deepEqual(given([humanAdded]).when(change({ nickName: "Al", gender: 1 })), [{ type: "user.human.profile.changed", data: { nickName: "Al", gender: 1 } }]);
  });

  it("sees earlier changes and refuses a change that changes nothing (COMMAND-2M0fs)", () => {
    const changed: UserEvent = { type: "user.human.profile.changed", data: { lastName: "B" } };
    assert.equal(given([humanAdded]).rejects(change()), "COMMAND-2M0fs");
    assert.equal(given([humanAdded, changed]).rejects(change({ lastName: "B" })), "COMMAND-2M0fs");
    assert.deepEqual(given([humanAdded, changed]).when(change()), [{ type: "user.human.profile.changed", data: { lastName: "A" } }]);
  });

  it("finds no profile for an unknown, removed, machine or foreign user (COMMAND-3M9sd)", () => {
    for (const history of [[], [humanAdded, removed], [machineAdded]]) assert.equal(given(history).rejects(change()), "COMMAND-3M9sd");
    assert.equal(given([humanAdded]).rejects(change({}, "org-2")), "COMMAND-3M9sd");
  });
});

describe("ChangeHumanEmail", () => {
  const change = (email: string, isEmailVerified: boolean): UserCommand => ({ type: "ChangeHumanEmail", resourceOwner, email, isEmailVerified, code });

  it("records the new address and either its verification or a hashed code", () => {
    assert.deepEqual(given([humanAdded]).when(change("new@example.com", true)), [
      { type: "user.human.email.changed", data: { email: "new@example.com" } },
      { type: "user.human.email.verified", data: {} },
    ]);
    assert.deepEqual(given([humanAdded]).when(change("new@example.com", false)), [
      { type: "user.human.email.changed", data: { email: "new@example.com" } },
      { type: "user.human.email.code.added", data: code },
    ]);
  });

  it("takes the same address only to mark it verified (COMMAND-2b7fM otherwise)", () => {
    assert.deepEqual(given([humanAdded]).when(change("alice@example.com", true)), [{ type: "user.human.email.verified", data: {} }]);
    assert.equal(given([humanAdded]).rejects(change("alice@example.com", false)), "COMMAND-2b7fM");
    const verified: UserEvent = { type: "user.human.email.verified", data: {} };
    assert.equal(given([humanAdded, verified]).rejects(change("alice@example.com", true)), "COMMAND-2b7fM");
    const changed: UserEvent = { type: "user.human.email.changed", data: { email: "b@example.com" } };
    assert.equal(given([humanAdded, verified, changed]).when(change("b@example.com", true)).length, 1, "a changed address is unverified again");
  });

  it("refuses a human who has not initialized (COMMAND-J8dsk) and unknown users (COMMAND-0Pe4r)", () => {
    assert.equal(given([humanAdded, initCode]).rejects(change("new@example.com", true)), "COMMAND-J8dsk");
    for (const history of [[], [machineAdded], [humanAdded, removed]]) assert.equal(given(history).rejects(change("new@example.com", true)), "COMMAND-0Pe4r");
  });
});

describe("ChangeHumanPhone / RemoveHumanPhone", () => {
  const change = (phone: string, isPhoneVerified: boolean): UserCommand => ({ type: "ChangeHumanPhone", resourceOwner, phone, isPhoneVerified, code });
  const remove: UserCommand = { type: "RemoveHumanPhone", resourceOwner };
  const phoneRemoved: UserEvent = { type: "user.human.phone.removed", data: {} };

  it("records the new number and either its verification or a hashed code", () => {
    assert.deepEqual(given([humanAdded]).when(change("+41790000000", false)), [
      { type: "user.human.phone.changed", data: { phone: "+41790000000" } },
      { type: "user.human.phone.code.added", data: code },
    ]);
    assert.deepEqual(given([humanAdded]).when(change("+41791234567", true)), [{ type: "user.human.phone.verified", data: {} }]);
    assert.equal(given([humanAdded]).rejects(change("+41791234567", false)), "COMMAND-wF94r");
    assert.equal(given([machineAdded]).rejects(change("+41791234567", true)), "COMMAND-3M0fs");
  });

  it("removes a phone once (COMMAND-p6rsc after), and sets one again after", () => {
    assert.deepEqual(given([humanAdded]).when(remove), [phoneRemoved]);
    assert.equal(given([humanAdded, phoneRemoved]).rejects(remove), "COMMAND-p6rsc");
    assert.equal(given([humanAdded, phoneRemoved]).when(change("+41791234567", false))[0]?.type, "user.human.phone.changed");
    assert.equal(given([]).rejects(remove), "COMMAND-3M9fs");
  });
});

describe("ResendHumanInitialization", () => {
  const resend = (email = ""): UserCommand => ({ type: "ResendHumanInitialization", resourceOwner, email, code });

  it("adds a new hashed code for a human who has not initialized, locked or not; changes the address first when asked", () => {
    assert.deepEqual(given([humanAdded, initCode]).when(resend()), [initCode]);
    assert.deepEqual(given([humanAdded, initCode]).when(resend("alice@example.com")), [initCode]);
    assert.deepEqual(given([humanAdded, initCode]).when(resend("fixed@example.com")), [{ type: "user.human.email.changed", data: { email: "fixed@example.com" } }, initCode]);
    assert.deepEqual(given([humanAdded, initCode, { type: "user.locked", data: {} }]).when(resend()), [initCode]);
  });

  it("refuses an initialized human (COMMAND-2M9sd) and unknown users or machines (COMMAND-2M9df)", () => {
    assert.equal(given([humanAdded]).rejects(resend()), "COMMAND-2M9sd");
    for (const history of [[], [machineAdded], [humanAdded, initCode, removed]]) assert.equal(given(history).rejects(resend()), "COMMAND-2M9df");
  });
});

describe("SetHumanPassword", () => {
  const set = (changeRequired: boolean): UserCommand => ({ type: "SetHumanPassword", resourceOwner, encodedHash: "scrypt:h", changeRequired });

  it("records the hash and whether it must be changed", () => {
    assert.deepEqual(given([humanAdded]).when(set(true)), [{ type: "user.human.password.changed", data: { encodedHash: "scrypt:h", changeRequired: true } }]);
  });

  it("refuses a human who has not initialized, as ZITADEL does (COMMAND-M9dse), and unknown users (COMMAND-3M0fs)", () => {
    assert.equal(given([humanAdded, initCode]).rejects(set(false)), "COMMAND-M9dse");
    for (const history of [[], [machineAdded], [humanAdded, removed]]) assert.equal(given(history).rejects(set(false)), "COMMAND-3M0fs");
  });

  it("leaves an uninitialized human INITIAL: neither a password nor a verified email initializes it", () => {
    const history: UserEvent[] = [humanAdded, initCode, { type: "user.human.email.verified", data: {} }, { type: "user.human.password.changed", data: { encodedHash: "scrypt:h", changeRequired: false } }];
    assert.equal(given(history).rejects(set(false)), "COMMAND-M9dse");
  });
});

describe("ImportHumanUser", () => {
  const importHuman = (isEmailVerified: boolean, encodedHash?: string, phone = { phone: "", isPhoneVerified: false }): UserCommand => ({
    type: "ImportHumanUser",
    userName: "Imported",
    profile,
    email: { email: "imp@example.com", isEmailVerified },
    phone,
    ...(encodedHash ? { encodedHash } : {}),
    changeRequired: false,
    initCode: code,
    phoneCode: code,
  });
  const types = (command: UserCommand) => given([]).when(command).map((e) => e.type);

  it("is ACTIVE with a password and a verified email: the email's verification, no code", () => {
    assert.deepEqual(types(importHuman(true, "$2y$10$x")), ["user.human.added", "user.human.email.verified"]);
  });

  it("is INITIAL otherwise, and then, as in ZITADEL, its email is not marked verified", () => {
    assert.deepEqual(types(importHuman(true)), ["user.human.added", "user.human.initialization.code.added"]);
    assert.deepEqual(types(importHuman(false, "scrypt:h")), ["user.human.added", "user.human.initialization.code.added"]);
  });

  it("verifies a phone or gives it a hashed code", () => {
    assert.deepEqual(types(importHuman(true, "scrypt:h", { phone: "+41791234567", isPhoneVerified: true })).at(-1), "user.human.phone.verified");
    assert.deepEqual(given([]).when(importHuman(true, "scrypt:h", { phone: "+41791234567", isPhoneVerified: false })).at(-1), { type: "user.human.phone.code.added", data: code });
  });

  it("keeps the given hash in the event and claims the lower-cased userName", () => {
    const decision = userDecider.decide(importHuman(true, "$argon2id$v=19$x"), userDecider.initialState());
    assert.equal((decision.events[0]?.data as { encodedHash: string }).encodedHash, "$argon2id$v=19$x");
    assert.deepEqual(decision.uniqueConstraints, [{ action: "add", name: "usernames", value: "imported" }]);
  });
});
