import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadModel, Write } from "../../src/projections/readModel.js";

/**
 * The contract every ReadModel adapter passes. `factory` makes a fresh, empty read model for each
 * test (and whatever it needs to be thrown away); when it returns undefined the backend is not
 * reachable: the suite says so on one line and every test is reported as skipped.
 */
export function testReadModel(
  name: string,
  factory: () => Promise<ReadModel | undefined>,
  { skipReason = "backend not reachable" }: { skipReason?: string } = {},
): void {
  describe(`readModel contract [${name}]`, async () => {
    const probe = await factory();
    await probe?.close();
    if (!probe) console.warn(`SKIP readModel contract [${name}]: ${skipReason}`);

    for (const [title, run] of Object.entries(contract)) {
      if (!probe) {
        it(title, { skip: skipReason }, () => {});
        continue;
      }
      it(title, { timeout: 10_000 }, async () => {
        const readModel = await factory();
        assert.ok(readModel, `${name} became unreachable`);
        try {
          await run(readModel);
        } finally {
          await readModel.close();
        }
      });
    }
  });
}

const put = (collection: string, id: string, doc: Record<string, unknown>, indexes?: Record<string, string>): Write => ({
  op: "put",
  collection,
  id,
  doc,
  ...(indexes ? { indexes } : {}),
});
const remove = (collection: string, id: string): Write => ({ op: "delete", collection, id });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const contract: Record<string, (readModel: ReadModel) => Promise<void>> = {
  async "a document put with an expiry is read until then and gone after; one already past is not stored"(readModel) {
    const doc = { sessionId: "s1" };
    await readModel.commit([{ op: "put", collection: "sessions1", id: "s1", doc, expiresAt: Date.now() + 400 }, put("sessions1", "kept", doc)], 1n);
    assert.deepEqual(await readModel.get("sessions1", "s1"), doc);
    await sleep(500);
    assert.equal(await readModel.get("sessions1", "s1"), undefined, "gone once its expiry passed, with no commit since");
    await readModel.commit([{ op: "put", collection: "sessions1", id: "past", doc, expiresAt: Date.now() - 1 }], 2n);
    assert.equal(await readModel.get("sessions1", "past"), undefined);
    assert.deepEqual(await readModel.get("sessions1", "kept"), doc, "a document without an expiry stays");
    assert.equal(await readModel.checkpoint(), 2n);
  },

  async "a put without an expiry makes an expiring document stay; a put with a later one moves its end"(readModel) {
    const soon = () => Date.now() + 300;
    await readModel.commit([{ op: "put", collection: "sessions1", id: "a", doc: { v: 1 }, expiresAt: soon() }, { op: "put", collection: "sessions1", id: "b", doc: { v: 1 }, expiresAt: soon() }], 1n);
    await readModel.commit([put("sessions1", "a", { v: 2 }), { op: "put", collection: "sessions1", id: "b", doc: { v: 2 }, expiresAt: Date.now() + 60_000 }], 2n);
    await sleep(400);
    // A commit after the first expiry: the memory adapter drops what expired then.
    await readModel.commit([put("other1", "x", {})], 3n);
    assert.deepEqual(await readModel.get("sessions1", "a"), { v: 2 });
    assert.deepEqual(await readModel.get("sessions1", "b"), { v: 2 });
  },

  async "a put asking for an expiry and index entries both is refused, and the commit applies nothing"(readModel) {
    await assert.rejects(readModel.commit([put("users1", "1", {}), { op: "put", collection: "sessions1", id: "s", doc: {}, indexes: { org: "o1" }, expiresAt: Date.now() + 60_000 }], 1n));
    assert.equal(await readModel.get("users1", "1"), undefined);
    assert.equal(await readModel.checkpoint(), undefined);
  },

  async "a fresh read model has no checkpoint and no documents"(readModel) {
    assert.equal(await readModel.checkpoint(), undefined);
    assert.equal(await readModel.get("users1", "1"), undefined);
    assert.deepEqual(await readModel.find("users1", "org", "o1"), []);
  },

  async "a commit's documents and checkpoint are read back"(readModel) {
    const doc = { id: "1", userName: "ünïcode ✓", tags: [], nested: { empty: {}, list: [1, "two", null, { deep: true }] }, n: 1.5, flag: false };
    await readModel.commit([put("users1", "1", doc)], 7n);

    assert.deepEqual(await readModel.get("users1", "1"), doc);
    assert.equal(await readModel.checkpoint(), 7n);
  },

  async "collections are separate: the same id in two of them is two documents"(readModel) {
    await readModel.commit([put("users1", "x", { kind: "user" }), put("orgs1", "x", { kind: "org" })], 1n);
    assert.deepEqual(await readModel.get("users1", "x"), { kind: "user" });
    assert.deepEqual(await readModel.get("orgs1", "x"), { kind: "org" });
  },

  async "find returns the ids under an index value, sorted"(readModel) {
    await readModel.commit(
      [
        put("users1", "b", { n: 1 }, { org: "o1", userName: "bob" }),
        put("users1", "a", { n: 2 }, { org: "o1", userName: "alice" }),
        put("users1", "c", { n: 3 }, { org: "o2", userName: "carol" }),
      ],
      1n,
    );

    assert.deepEqual(await readModel.find("users1", "org", "o1"), ["a", "b"]);
    assert.deepEqual(await readModel.find("users1", "userName", "carol"), ["c"]);
    assert.deepEqual(await readModel.find("users1", "userName", "nobody"), []);
    assert.deepEqual(await readModel.find("orgs1", "org", "o1"), [], "indexes belong to their collection");
  },

  async "a put replaces the document and its index entries"(readModel) {
    await readModel.commit([put("users1", "1", { userName: "old", extra: true }, { userName: "old", org: "o1" })], 1n);
    await readModel.commit([put("users1", "1", { userName: "new" }, { userName: "new" })], 2n);

    assert.deepEqual(await readModel.get("users1", "1"), { userName: "new" });
    assert.deepEqual(await readModel.find("users1", "userName", "old"), []);
    assert.deepEqual(await readModel.find("users1", "org", "o1"), []);
    assert.deepEqual(await readModel.find("users1", "userName", "new"), ["1"]);
  },

  async "a put keeps the index entries whose values it keeps, and moves the others"(readModel) {
    await readModel.commit([put("users1", "1", { v: 1 }, { userName: "a", org: "o1" }), put("users1", "2", { v: 1 }, { userName: "z", org: "o1" })], 1n);
    await readModel.commit([put("users1", "1", { v: 2 }, { userName: "b", org: "o1" })], 2n);
    await readModel.commit([put("users1", "1", { v: 3 }, { userName: "b", org: "o1" })], 3n);
    await readModel.commit([put("users1", "2", { v: 2 }, { userName: "z", org: "o2" })], 4n);

    assert.deepEqual(await readModel.get("users1", "1"), { v: 3 });
    assert.deepEqual(await readModel.find("users1", "org", "o1"), ["1"]);
    assert.deepEqual(await readModel.find("users1", "org", "o2"), ["2"]);
    assert.deepEqual(await readModel.find("users1", "userName", "a"), []);
    assert.deepEqual(await readModel.find("users1", "userName", "b"), ["1"]);
    assert.deepEqual(await readModel.find("users1", "userName", "z"), ["2"]);
  },

  async "a delete removes the document and its index entries"(readModel) {
    await readModel.commit([put("users1", "1", { n: 1 }, { org: "o1" }), put("users1", "2", { n: 2 }, { org: "o1" })], 1n);
    await readModel.commit([remove("users1", "1"), remove("users1", "missing")], 2n);

    assert.equal(await readModel.get("users1", "1"), undefined);
    assert.deepEqual(await readModel.find("users1", "org", "o1"), ["2"]);
    assert.equal(await readModel.checkpoint(), 2n);
  },

  async "writes of one commit apply in order"(readModel) {
    await readModel.commit(
      [
        put("users1", "1", { v: 1 }, { name: "first" }),
        put("users1", "1", { v: 2 }, { name: "second" }),
        put("users1", "2", { v: 1 }),
        remove("users1", "2"),
      ],
      3n,
    );

    assert.deepEqual(await readModel.get("users1", "1"), { v: 2 });
    assert.deepEqual(await readModel.find("users1", "name", "first"), []);
    assert.deepEqual(await readModel.find("users1", "name", "second"), ["1"]);
    assert.equal(await readModel.get("users1", "2"), undefined);
  },

  async "a commit without writes still moves the checkpoint"(readModel) {
    await readModel.commit([], 5n);
    assert.equal(await readModel.checkpoint(), 5n);
    await readModel.commit([], 6n);
    assert.equal(await readModel.checkpoint(), 6n);
  },

  async "checkpoints keep their full precision"(readModel) {
    const huge = 2n ** 63n + 12345n;
    await readModel.commit([], huge);
    assert.equal(await readModel.checkpoint(), huge);
  },

  async "ids and index values may hold separators and any characters"(readModel) {
    const id = "org:1:user\0x ✓";
    await readModel.commit([put("members1", id, { id }, { user: "a:b:c", scope: "" })], 1n);

    assert.deepEqual(await readModel.get("members1", id), { id });
    assert.deepEqual(await readModel.find("members1", "user", "a:b:c"), [id]);
    assert.deepEqual(await readModel.find("members1", "user", "a:b"), []);
    assert.deepEqual(await readModel.find("members1", "scope", ""), [id]);
  },

  async "no reader or writer can change a stored document behind the read model's back"(readModel) {
    const doc = { list: [1], nested: { a: 1 } };
    await readModel.commit([put("users1", "1", doc)], 1n);
    doc.list.push(2);
    const read = await readModel.get<{ list: number[]; nested: { a: number } }>("users1", "1");
    assert.ok(read);
    // A copy takes the change; a shared, frozen document refuses it. Either way nothing stored moves.
    try {
      read.nested.a = 99;
    } catch (error) {
      assert.ok(error instanceof TypeError);
    }

    assert.deepEqual(await readModel.get("users1", "1"), { list: [1], nested: { a: 1 } });
  },

  async "a document built from a stored one is stored as written, and the stored one stays as it was"(readModel) {
    await readModel.commit([put("users1", "1", { kept: { a: 1 }, changed: { b: 1 } })], 1n);
    const stored = await readModel.get<{ kept: { a: number }; changed: { b: number } }>("users1", "1");
    assert.ok(stored);
    // As a reducer writes the next version: the old one spread, one part replaced.
    await readModel.commit([put("users1", "1", { ...stored, changed: { b: 2 } })], 2n);
    assert.deepEqual(await readModel.get("users1", "1"), { kept: { a: 1 }, changed: { b: 2 } });
    assert.deepEqual(stored, { kept: { a: 1 }, changed: { b: 1 } });
  },

  async "a document's key named __proto__ is a field like any other, never its prototype"(readModel) {
    const doc = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    await readModel.commit([put("users1", "1", doc)], 1n);
    const read = await readModel.get("users1", "1");
    assert.ok(read);
    assert.equal(Object.getPrototypeOf(read), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(read, "__proto__")?.value, { polluted: true });
    assert.equal((read as { polluted?: boolean }).polluted, undefined);
  },

  async "a writer's own frozen object is no promise: what it holds that is not frozen is copied all the same"(readModel) {
    const inner = { a: 1 };
    await readModel.commit([put("users1", "1", { outer: Object.freeze({ inner }) })], 1n);
    inner.a = 2;
    assert.deepEqual(await readModel.get("users1", "1"), { outer: { inner: { a: 1 } } });
  },
};
