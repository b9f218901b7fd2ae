import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { orgDecider } from "../../src/commands/org/decider.js";
import { orgDomainName } from "../../src/commands/org/orgDomainName.js";
import { normalizeEmail, normalizePhone } from "../../src/commands/user/contact.js";
import { checkPasswordComplexity } from "../../src/commands/user/passwordComplexity.js";
import { sha256Hash, verifyPassword, hashPassword, newClientSecret } from "../../src/commands/user/secrets.js";
import { DomainError } from "../../src/errors.js";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { reducers } from "../../src/projections/reducers/index.js";
import { createIdGenerator } from "../../src/ids.js";

const errorId = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return error.id;
  }
  return undefined;
};

describe("password complexity (ZITADEL's default policy)", () => {
  it("reports the first broken rule, in ZITADEL's order", () => {
    assert.equal(errorId(() => checkPasswordComplexity("Aa1!")), "COMMA-HuJf6");
    assert.equal(errorId(() => checkPasswordComplexity("AAAA1111!")), "COMMA-co3Xw");
    assert.equal(errorId(() => checkPasswordComplexity("aaaa1111!")), "COMMA-VoaRj");
    assert.equal(errorId(() => checkPasswordComplexity("aaaaAAAA!")), "COMMA-ZBv4H");
    assert.equal(errorId(() => checkPasswordComplexity("aaaaAAAA1")), "COMMA-ZDLwA");
    assert.equal(errorId(() => checkPasswordComplexity("Password1!")), undefined);
  });
});

describe("contact data", () => {
  it("keeps valid emails and refuses others (EMAIL-599BI)", () => {
    assert.equal(normalizeEmail(" a.b+c@example.com "), "a.b+c@example.com");
    assert.equal(errorId(() => normalizeEmail("not an email")), "EMAIL-599BI");
  });

  it("stores phones as E.164 (PHONE-so0wa otherwise)", () => {
    assert.equal(normalizePhone("+41 79 123-45-67"), "+41791234567");
    assert.equal(errorId(() => normalizePhone("+0 12")), "PHONE-so0wa");
    assert.equal(errorId(() => normalizePhone("+41 abc")), "PHONE-so0wa");
  });
});

describe("org domains (domain.NewIAMDomainName)", () => {
  it("lower-cases, dashes spaces, drops the rest", () => {
    assert.equal(orgDomainName("My Org!", "example.com"), "my-org.example.com");
    assert.equal(orgDomainName("Ünïcode Labs", "localhost"), "ünïcode-labs.localhost");
    assert.equal(errorId(() => orgDomainName("!!!", "localhost")), "ORG-RrfXY");
  });

  it("AddOrg makes the owner ORG_OWNER and claims name and domain", () => {
    const decision = orgDecider.decide({ type: "AddOrg", name: "Acme", domain: "acme.localhost", ownerId: "u1" }, orgDecider.initialState());
    assert.deepEqual(
      decision.events.map((e) => e.type),
      ["org.added", "org.domain.added", "org.domain.verified", "org.domain.primary.set", "org.member.added"],
    );
    assert.deepEqual(decision.events.at(-1)?.data, { userId: "u1", roles: ["ORG_OWNER"] });
    assert.deepEqual(decision.uniqueConstraints?.map((c) => `${c.name}:${c.value}`), ["orgnames:acme", "orgdomains:acme.localhost"]);
  });
});

describe("org members", () => {
  const org = orgDecider.evolve(orgDecider.initialState(), { type: "org.added", data: { name: "Acme" } } as never);

  it("AddOrgMember records a role named twice once", () => {
    const decision = orgDecider.decide({ type: "AddOrgMember", userId: "u2", roles: ["ORG_OWNER", "ORG_USER_MANAGER", "ORG_OWNER"] }, org);
    assert.deepEqual(decision.events[0]?.data, { userId: "u2", roles: ["ORG_OWNER", "ORG_USER_MANAGER"] });
  });

  it("the read model keeps each role of an imported org.member.added once", async () => {
    const readModel = createMemoryReadModel();
    const event: RecordedEvent = {
      id: "e1", type: "org.member.added", stream: "org-o1", revision: 1, position: 1n, data: { userId: "u2", roles: Array(1000).fill("ORG_OWNER") },
      metadata: { resourceOwner: "o1", instanceId: "i", editorUser: "u", createdAt: "2026-01-01T00:00:00.000Z", correlationId: "c", causationId: "c", schemaVersion: 1 },
    };
    const writes = await reducers["org.member.added"]!(event, readModel);
    assert.deepEqual(writes.map((write) => (write.op === "put" ? { scope: write.doc.scope, userId: write.doc.userId, roles: write.doc.roles } : undefined)), [{ scope: "o1", userId: "u2", roles: ["ORG_OWNER"] }]);
  });
});

describe("secrets", () => {
  it("client secrets are 64 random alphanumerics, hashed as sha256", () => {
    const a = newClientSecret();
    assert.match(a, /^[A-Za-z0-9]{64}$/);
    assert.notEqual(a, newClientSecret());
    assert.match(sha256Hash(a), /^sha256:[0-9a-f]{64}$/);
    assert.ok(!sha256Hash(a).includes(a));
  });

  it("passwords are scrypt hashes that verify", async () => {
    const hash = await hashPassword("Password1!", { logN: 10 });
    assert.match(hash, /^scrypt:/);
    assert.ok(!hash.includes("Password1!"));
    assert.equal(await verifyPassword("Password1!", hash), true);
    assert.equal(await verifyPassword("Password2!", hash), false);
  });
});

describe("ids", () => {
  it("are decimal sonyflakes, unique and increasing", () => {
    let now = Date.UTC(2026, 0, 1);
    const next = createIdGenerator(7, () => now);
    const ids = Array.from({ length: 600 }, () => next());
    now += 10;
    ids.push(next());
    assert.ok(ids.every((id) => /^\d{17,19}$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) assert.ok(BigInt(ids[i]!) > BigInt(ids[i - 1]!));
  });
});
