import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Evolving } from "../../src/commands/decider.js";
import { userDecider, type UserCommand } from "../../src/commands/user/decider.js";
import type { SetUserMetadata } from "../../src/commands/user/metadata.js";
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

/** Given these events, when this command: the decision, or the error's id. */
function given(events: UserEvent[]) {
  const state = events.reduce((s, e) => userDecider.evolve(s, { ...e, metadata } as Evolving<UserEvent>), userDecider.initialState());
  return {
    when: (command: UserCommand) => userDecider.decide(command, state),
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

const machineAdded: UserEvent = { type: "user.machine.added", data: { userName: "robot", name: "Robot" } };
const humanAdded: UserEvent = {
  type: "user.human.added",
  data: { userName: "alice", firstName: "Alice", lastName: "A", email: "alice@example.com" },
};
const change = (fields: Partial<{ name: string; description: string; accessTokenType: 0 | 1; resourceOwner: string }>): UserCommand => ({
  type: "ChangeMachine",
  resourceOwner: "org-1",
  name: "Robot",
  description: "",
  accessTokenType: 0,
  ...fields,
});

describe("AddMachineUser", () => {
  const add: UserCommand = { type: "AddMachineUser", userName: "Robot", name: "R", description: "", accessTokenType: 0 };

  it("emits user.machine.added and claims the lower-cased userName", () => {
    const decision = given([]).when(add);
    assert.deepEqual(decision.events, [{ type: "user.machine.added", data: { userName: "Robot", name: "R" } }]);
    assert.deepEqual(decision.uniqueConstraints, [{ action: "add", name: "usernames", value: "robot" }]);
  });

  it("records a non-default access token type and a description", () => {
    const decision = given([]).when({ ...add, accessTokenType: 1, description: "d" });
    assert.deepEqual(decision.events[0]?.data, { userName: "Robot", name: "R", description: "d", accessTokenType: 1 });
  });

  it("refuses an id that is taken (COMMAND-k2una)", () => {
    assert.equal(given([machineAdded]).rejects(add), "COMMAND-k2una");
  });
});

describe("ChangeMachine", () => {
  it("records only what changed", () => {
    assert.deepEqual(given([machineAdded]).when(change({ description: "new" })).events, [
      { type: "user.machine.changed", data: { description: "new" } },
    ]);
    assert.deepEqual(given([machineAdded]).when(change({ name: "X", accessTokenType: 1 })).events, [
      { type: "user.machine.changed", data: { name: "X", accessTokenType: 1 } },
    ]);
  });

  it("sees earlier changes when it folds the stream", () => {
    const changed: UserEvent = { type: "user.machine.changed", data: { description: "new" } };
    assert.equal(given([machineAdded, changed]).rejects(change({ description: "new" })), "COMMAND-2n8vs");
    assert.deepEqual(given([machineAdded, changed]).when(change({ description: "" })).events, [
      { type: "user.machine.changed", data: { description: "" } },
    ]);
  });

  it("refuses a change that changes nothing (COMMAND-2n8vs)", () => {
    assert.equal(given([machineAdded]).rejects(change({})), "COMMAND-2n8vs");
  });

  it("does not find an unknown user, a human, or a user of another org (COMMAND-5M0od)", () => {
    assert.equal(given([]).rejects(change({})), "COMMAND-5M0od");
    assert.equal(given([humanAdded]).rejects(change({})), "COMMAND-5M0od");
    assert.equal(given([machineAdded]).rejects(change({ resourceOwner: "org-2" })), "COMMAND-5M0od");
  });
});

describe("SetMachineSecret", () => {
  const set: UserCommand = { type: "SetMachineSecret", resourceOwner: "org-1", hashedSecret: `sha256:${"a".repeat(64)}` };

  it("records only the hash", () => {
    assert.deepEqual(given([machineAdded]).when(set).events, [{ type: "user.machine.secret.set", data: { hashedSecret: `sha256:${"a".repeat(64)}` } }]);
  });

  it("refuses unknown users and humans (COMMAND-x8910n)", () => {
    assert.equal(given([]).rejects(set), "COMMAND-x8910n");
    assert.equal(given([humanAdded]).rejects(set), "COMMAND-x8910n");
  });
});

describe("AddHumanUser", () => {
  const human = (email: { isEmailVerified: boolean }, encodedHash?: string, phone = ""): UserCommand => ({
    type: "AddHumanUser",
    userName: "alice",
    profile: { firstName: "Alice", lastName: "A", nickName: "", displayName: "", preferredLanguage: "", gender: 0 },
    email: { email: "alice@example.com", ...email },
    phone: { phone, isPhoneVerified: phone !== "" },
    ...(encodedHash ? { encodedHash } : {}),
    initCode: { CryptoType: 0, Algorithm: "aes-256-gcm", KeyID: "k", Crypted: "eA==" },
    initCodeExpiryNanos: 1,
  });
  const types = (command: UserCommand) => given([]).when(command).events.map((e) => e.type);

  it("adds an initialization code when the email is not verified", () => {
    assert.deepEqual(types(human({ isEmailVerified: false }, "scrypt:h")), ["user.human.added", "user.human.initialization.code.added"]);
  });

  it("adds an initialization code when no password is set", () => {
    assert.deepEqual(types(human({ isEmailVerified: true })), ["user.human.added", "user.human.email.verified", "user.human.initialization.code.added"]);
  });

  it("needs no initialization with a verified email and a password", () => {
    assert.deepEqual(types(human({ isEmailVerified: true }, "scrypt:h", "+41791234567")), [
      "user.human.added",
      "user.human.email.verified",
      "user.human.phone.verified",
    ]);
  });

  it("defaults the display name to first and last name, and keeps the password's hash only", () => {
    const [added] = given([]).when(human({ isEmailVerified: true }, "scrypt:h")).events;
    assert.equal((added?.data as { displayName: string }).displayName, "Alice A");
    assert.equal((added?.data as { encodedHash: string }).encodedHash, "scrypt:h");
  });

  it("claims the userName in the same namespace as machines", () => {
    assert.deepEqual(given([]).when(human({ isEmailVerified: true })).uniqueConstraints, [{ action: "add", name: "usernames", value: "alice" }]);
  });
});

describe("the user state machine (DeactivateUser, ReactivateUser, LockUser, UnlockUser, RemoveUser)", () => {
  const initCode: UserEvent = {
    type: "user.human.initialization.code.added",
    data: { code: { CryptoType: 0, Algorithm: "aes-256-gcm", KeyID: "k", Crypted: "eA==" }, expiry: 1 },
  };
  const histories: Record<string, UserEvent[]> = {
    absent: [],
    active: [machineAdded],
    initial: [humanAdded, initCode],
    inactive: [machineAdded, { type: "user.deactivated", data: {} }],
    locked: [machineAdded, { type: "user.locked", data: {} }],
    removed: [machineAdded, { type: "user.removed", data: { userName: "robot" } }],
  };
  // What each command does from each state: the event it emits, or the id it is refused with.
  const expected: Record<string, Record<string, string>> = {
    DeactivateUser: { absent: "COMMAND-3M9ds", active: "user.deactivated", initial: "COMMAND-ke0fw", inactive: "COMMAND-5M0sf", locked: "user.deactivated", removed: "COMMAND-3M9ds" },
    ReactivateUser: { absent: "COMMAND-4M0sd", active: "COMMAND-6M0sf", initial: "COMMAND-6M0sf", inactive: "user.reactivated", locked: "COMMAND-6M0sf", removed: "COMMAND-4M0sd" },
    LockUser: { absent: "COMMAND-5M9fs", active: "user.locked", initial: "user.locked", inactive: "COMMAND-3NN8v", locked: "COMMAND-3NN8v", removed: "COMMAND-5M9fs" },
    UnlockUser: { absent: "COMMAND-M0dos", active: "COMMAND-4M0ds", initial: "COMMAND-4M0ds", inactive: "COMMAND-4M0ds", locked: "user.unlocked", removed: "COMMAND-M0dos" },
    RemoveUser: { absent: "COMMAND-m9od", active: "user.removed", initial: "user.removed", inactive: "user.removed", locked: "user.removed", removed: "COMMAND-m9od" },
  };
  for (const [type, outcomes] of Object.entries(expected)) {
    for (const [from, outcome] of Object.entries(outcomes)) {
      it(`${type} from ${from}: ${outcome}`, () => {
        const command = { type, resourceOwner: "org-1" } as UserCommand;
        if (outcome.startsWith("user.")) assert.deepEqual(given(histories[from]!).when(command).events.map((e) => e.type), [outcome]);
        else assert.equal(given(histories[from]!).rejects(command), outcome);
      });
    }
  }

  it("refuses users of another org as unknown", () => {
    assert.equal(given([machineAdded]).rejects({ type: "LockUser", resourceOwner: "org-2" }), "COMMAND-5M9fs");
  });

  it("RemoveUser releases the userName in the same append; a removed user's id is never taken again", () => {
    assert.deepEqual(given([machineAdded]).when({ type: "RemoveUser", resourceOwner: "org-1" }).uniqueConstraints, [{ action: "remove", name: "usernames", value: "robot" }]);
    const add: UserCommand = { type: "AddMachineUser", userName: "robot", name: "R", description: "", accessTokenType: 0 };
    assert.equal(given(histories.removed!).rejects(add), "COMMAND-k2una");
  });

  it("ChangeUserName gives back the old name and claims the new one; the same name is refused, a change of case is not", () => {
    const decision = given([machineAdded]).when({ type: "ChangeUserName", resourceOwner: "org-1", userName: "Robo" });
    assert.deepEqual(decision.events, [{ type: "user.username.changed", data: { userName: "Robo", oldUserName: "robot" } }]);
    assert.deepEqual(decision.uniqueConstraints, [
      { action: "remove", name: "usernames", value: "robot" },
      { action: "add", name: "usernames", value: "robo" },
    ]);
    assert.equal(given([machineAdded]).rejects({ type: "ChangeUserName", resourceOwner: "org-1", userName: "robot" }), "COMMAND-6m9gs");
    assert.equal(given([machineAdded]).when({ type: "ChangeUserName", resourceOwner: "org-1", userName: "Robot" }).events.length, 1);
  });
});

describe("AddMachineKey / RemoveMachineKey", () => {
  const pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  const addKey = (keyId: string, resourceOwner = "org-1"): UserCommand => ({
    type: "AddMachineKey",
    resourceOwner,
    keyId,
    expirationDate: "9999-12-31T23:59:59.000Z",
    publicKeyPem: pem,
  });
  const removeKey = (keyId: string, resourceOwner = "org-1"): UserCommand => ({ type: "RemoveMachineKey", resourceOwner, keyId });
  const keyAdded = (keyId: string): UserEvent => ({
    type: "user.machine.key.added",
    data: { keyId, type: 1, expirationDate: "9999-12-31T23:59:59.000Z", publicKey: Buffer.from(pem).toString("base64") },
  });

  it("records the public key, base64 of its PEM, as ZITADEL's []byte", () => {
    assert.deepEqual(given([machineAdded]).when(addKey("k1")).events, [keyAdded("k1")]);
  });

  it("refuses keys for no one, a human, or a user of another org", () => {
    assert.equal(given([]).rejects(addKey("k1")), "COMMAND-bnipwm1");
    assert.equal(given([humanAdded]).rejects(addKey("k1")), "COMMAND-bnipwm1");
    assert.equal(given([machineAdded]).rejects(addKey("k1", "org-2")), "COMMAND-bnipwm1");
  });

  it("removes a key once; an unknown or removed key is not found", () => {
    assert.deepEqual(given([machineAdded, keyAdded("k1")]).when(removeKey("k1")).events, [{ type: "user.machine.key.removed", data: { keyId: "k1" } }]);
    assert.equal(given([machineAdded, keyAdded("k1")]).rejects(removeKey("k2")), "COMMAND-4m77G");
    assert.equal(given([machineAdded, keyAdded("k1"), { type: "user.machine.key.removed", data: { keyId: "k1" } }]).rejects(removeKey("k1")), "COMMAND-4m77G");
    assert.equal(given([machineAdded, keyAdded("k1")]).rejects(removeKey("k1", "org-2")), "COMMAND-4m77G");
  });
});

describe("RemoveMachineSecret", () => {
  const remove: UserCommand = { type: "RemoveMachineSecret", resourceOwner: "org-1" };
  const secretSet: UserEvent = { type: "user.machine.secret.set", data: { hashedSecret: `sha256:${"a".repeat(64)}` } };

  it("removes a secret that is set, once", () => {
    assert.deepEqual(given([machineAdded, secretSet]).when(remove).events, [{ type: "user.machine.secret.removed", data: {} }]);
    assert.equal(given([machineAdded, secretSet, { type: "user.machine.secret.removed", data: {} }]).rejects(remove), "COMMAND-coi82n");
  });

  it("refuses a machine without a secret (COMMAND-coi82n)", () => {
    assert.equal(given([machineAdded]).rejects(remove), "COMMAND-coi82n");
  });

  it("refuses unknown and removed users, humans and users of another org (COMMAND-x7s802)", () => {
    assert.equal(given([]).rejects(remove), "COMMAND-x7s802");
    assert.equal(given([humanAdded]).rejects(remove), "COMMAND-x7s802");
    assert.equal(given([machineAdded, secretSet, { type: "user.removed", data: { userName: "robot" } }]).rejects(remove), "COMMAND-x7s802");
    assert.equal(given([machineAdded, secretSet]).rejects({ ...remove, resourceOwner: "org-2" }), "COMMAND-x7s802");
  });
});

describe("RemovePersonalAccessToken", () => {
  const tokenAdded = (tokenId: string): UserEvent => ({
    type: "user.pat.added",
    data: { tokenId, expiration: "9999-12-31T23:59:59.000Z", scopes: ["openid"], tokenHash: `sha256:${"b".repeat(64)}` },
  });
  const remove = (tokenId: string, resourceOwner = "org-1"): UserCommand => ({ type: "RemovePersonalAccessToken", resourceOwner, tokenId });

  it("removes a token of the user by its id, once (ZITADEL's user.pat.removed)", () => {
    const history = [machineAdded, tokenAdded("t1"), tokenAdded("t2")];
    assert.deepEqual(given(history).when(remove("t1")).events, [{ type: "user.pat.removed", data: { tokenId: "t1" } }]);
    assert.equal(given([...history, { type: "user.pat.removed", data: { tokenId: "t1" } }]).rejects(remove("t1")), "COMMAND-4m77G");
    assert.equal(given([...history, { type: "user.pat.removed", data: { tokenId: "t1" } }]).when(remove("t2")).events.length, 1);
  });

  it("does not find unknown tokens, nor tokens of another org or of a removed user (COMMAND-4m77G)", () => {
    assert.equal(given([machineAdded]).rejects(remove("t1")), "COMMAND-4m77G");
    assert.equal(given([]).rejects(remove("t1")), "COMMAND-4m77G");
    assert.equal(given([machineAdded, tokenAdded("t1")]).rejects(remove("t1", "org-2")), "COMMAND-4m77G");
    assert.equal(given([machineAdded, tokenAdded("t1"), { type: "user.removed", data: { userName: "robot" } }]).rejects(remove("t1")), "COMMAND-4m77G");
  });
});

describe("SetUserMetadata / RemoveUserMetadata / BulkRemoveUserMetadata", () => {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const set = (...entries: [string, string][]): SetUserMetadata => ({ type: "SetUserMetadata", resourceOwner: "org-1", entries: entries.map(([key, value]) => ({ key, value: b64(value) })) });
  const remove = (type: "RemoveUserMetadata" | "BulkRemoveUserMetadata", ...keys: string[]): UserCommand => ({ type, resourceOwner: "org-1", keys });
  const metadataSet = (key: string, value: string): UserEvent => ({ type: "user.metadata.set", data: { key, value: b64(value) } });

  it("sets each key whose value changes, once, with its last value; refuses a request that changes nothing (API-mEtnC)", () => {
    const history = [humanAdded, metadataSet("a", "1")];
    assert.deepEqual(given(history).when(set(["a", "1"], ["b", "x"], ["b", "2"], ["c", "3"])).events, [
      { type: "user.metadata.set", data: { key: "b", value: b64("2") } },
      { type: "user.metadata.set", data: { key: "c", value: b64("3") } },
    ]);
    assert.equal(given(history).rejects(set(["a", "1"])), "API-mEtnC");
    assert.equal(given([...history, { type: "user.metadata.removed", data: { key: "a" } }]).when(set(["a", "1"])).events.length, 1);
  });

  it("refuses no entries (9, META-9mm2d), an empty key or value (3, META-2m00f), and users that are not there (9, COMMAND-uXHNj)", () => {
    assert.equal(given([machineAdded]).rejects(set()), "META-9mm2d");
    assert.equal(given([machineAdded]).rejects(set(["", "v"])), "META-2m00f");
    assert.equal(given([machineAdded]).rejects(set(["k", ""])), "META-2m00f");
    assert.equal(given([]).rejects(set(["k", "v"])), "COMMAND-uXHNj");
    assert.equal(given([machineAdded, { type: "user.removed", data: { userName: "robot" } }]).rejects(set(["k", "v"])), "COMMAND-uXHNj");
    assert.equal(given([machineAdded]).rejects({ ...set(["k", "v"]), resourceOwner: "org-2" }), "COMMAND-uXHNj");
  });

  it("bounds one user's metadata to 100 keys and 1,000,000 bytes of keys and values (8, API-mEtlX)", () => {
    const hundred = Array.from({ length: 100 }, (_, i): UserEvent => metadataSet(`k${i}`, "v"));
    assert.equal(given([machineAdded, ...hundred]).rejects(set(["one-more", "v"])), "API-mEtlX");
    assert.equal(given([machineAdded, ...hundred]).when(set(["k0", "changed"])).events.length, 1, "changing a key adds none");
    const big = "x".repeat(499_990);
    const nearlyFull = [machineAdded, metadataSet("a", big), metadataSet("b", big)];
    assert.equal(given(nearlyFull).rejects(set(["c", "x".repeat(20)])), "API-mEtlX");
    assert.equal(given(nearlyFull).when(set(["c", "x".repeat(10)])).events.length, 1);
  });

  it("removes keys, each once; an unknown key is 5 (META-ncnw3 for one, META-2nnds in bulk), an empty one 3", () => {
    const history = [machineAdded, metadataSet("a", "1"), metadataSet("b", "2")];
    assert.deepEqual(given(history).when(remove("RemoveUserMetadata", "a")).events, [{ type: "user.metadata.removed", data: { key: "a" } }]);
    assert.deepEqual(given(history).when(remove("BulkRemoveUserMetadata", "a", "b", "a")).events.map((e) => e.data), [{ key: "a" }, { key: "b" }]);
    assert.equal(given(history).rejects(remove("RemoveUserMetadata", "c")), "META-ncnw3");
    assert.equal(given(history).rejects(remove("BulkRemoveUserMetadata", "a", "c")), "META-2nnds");
    assert.equal(given(history).rejects(remove("RemoveUserMetadata", "")), "META-2n0fs");
    assert.equal(given(history).rejects(remove("BulkRemoveUserMetadata", "a", "")), "COMMAND-m29ds");
    assert.equal(given(history).rejects(remove("BulkRemoveUserMetadata")), "META-9mm2d");
    assert.equal(given([...history, { type: "user.metadata.removed", data: { key: "a" } }]).rejects(remove("RemoveUserMetadata", "a")), "META-ncnw3");
    assert.equal(given([]).rejects(remove("RemoveUserMetadata", "a")), "COMMAND-uXHNj");
  });
});
