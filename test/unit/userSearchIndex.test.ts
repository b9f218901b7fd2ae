import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryUserIndex } from "../../src/projections/search/memoryUserIndex.js";
import { searchCollection, type SearchableUser, type UserFilter, type UserSearchIndex } from "../../src/projections/search/userSearch.js";

const user = (id: string, userName: string, org = "o1", email?: string): SearchableUser => ({
  id,
  org,
  type: email ? "human" : "machine",
  state: "USER_STATE_ACTIVE",
  initialized: true,
  userName,
  creationDate: "2026-01-01T00:00:00.000Z",
  ...(email ? { human: { firstName: "F", lastName: "L", nickName: "", displayName: "", email } } : {}),
});
let position = 0n;
const put = (index: UserSearchIndex, ...users: SearchableUser[]) => index.store.commit(users.map((doc) => ({ op: "put", collection: searchCollection, id: doc.id, doc })), ++position);
const remove = (index: UserSearchIndex, id: string) => index.store.commit([{ op: "delete", collection: searchCollection, id }], ++position);
const find = (index: UserSearchIndex, filter: UserFilter, org = "o1") => index.search({ org, filters: [filter], sort: "id", asc: true, offset: 0n, limit: 1000 });
const contains = (value: string, field: "userName" | "email" = "userName"): UserFilter => ({ kind: "text", field, method: "containsIgnoreCase", value });
const equals = (value: string): UserFilter => ({ kind: "text", field: "userName", method: "equals", value });

describe("the in-process user search index", () => {
  it("finds a renamed user by its new name only, through every lookup", async () => {
    const index = createMemoryUserIndex();
    await put(index, user("1", "oldname"), user("2", "other"));
    await put(index, user("1", "newname"));
    assert.deepEqual(find(index, contains("oldn")), { ids: [], total: 0 });
    assert.deepEqual(find(index, equals("oldname")), { ids: [], total: 0 });
    assert.deepEqual(find(index, contains("NEWN")), { ids: ["1"], total: 1 });
    assert.deepEqual(find(index, equals("newname")), { ids: ["1"], total: 1 });
  });

  it("counts a user once however often its postings repeat", async () => {
    const index = createMemoryUserIndex();
    await put(index, user("1", "abcabc", "o1", "x@abcabc.example"));
    await put(index, user("1", "abcabcabc", "o1", "y@abcabc.example"));
    assert.deepEqual(find(index, contains("abc")), { ids: ["1"], total: 1 });
    assert.deepEqual(find(index, { kind: "or", filters: [contains("abc"), contains("abc", "email")] }), { ids: ["1"], total: 1 });
  });

  it("forgets a removed user, also when its slot goes to a user of another org", async () => {
    const index = createMemoryUserIndex();
    await put(index, user("1", "removed-one", "o1", "gone@example.com"));
    await remove(index, "1");
    await put(index, user("2", "removed-two", "o2", "gone@example.com"));
    assert.deepEqual(find(index, contains("removed")), { ids: [], total: 0 });
    assert.deepEqual(find(index, { kind: "inEmails", emails: ["gone@example.com"] }), { ids: [], total: 0 });
    assert.deepEqual(find(index, contains("removed"), "o2"), { ids: ["2"], total: 1 });
    assert.equal(await index.store.get(searchCollection, "1"), undefined);
    const instanceWide = index.search({ org: undefined, filters: [contains("removed")], sort: "id", asc: true, offset: 0n, limit: 10 });
    assert.deepEqual(instanceWide, { ids: ["2"], total: 1 }, "the whole instance");
  });

  it("stays right when stale postings are compacted away", async () => {
    const index = createMemoryUserIndex();
    for (let round = 0; round < 40; round++) await put(index, ...Array.from({ length: 20 }, (_, i) => user(String(i), `user-${i}-round-${round}`)));
    assert.equal(find(index, contains("round-39")).total, 20);
    assert.equal(find(index, contains("round-38")).total, 0);
    assert.deepEqual(find(index, equals("user-7-round-39")).ids, ["7"]);
  });

  it("reads back what it stores, as the search reducers wrote it", async () => {
    const index = createMemoryUserIndex();
    const stored = user("1", "Readback", "o1", "r@example.com");
    await put(index, stored);
    assert.deepEqual(await index.store.get(searchCollection, "1"), stored);
    assert.equal(await index.store.get("users2", "1"), undefined, "it keeps its own collection only");
    assert.equal(await index.store.checkpoint(), position);
  });

  it("finds a Greek userName by any part of it: Σ folds to σ wherever it stands, as Unicode case folding says", async () => {
    const index = createMemoryUserIndex();
    await put(index, user("1", "ΑΑΣΑ"), user("2", "ΑΑΣ"));
    assert.deepEqual(find(index, { kind: "text", field: "userName", method: "contains", value: "ΑΑΣ" }).ids, ["1", "2"]);
    assert.deepEqual(find(index, contains("αας")).ids, ["1", "2"]);
    assert.deepEqual(find(index, contains("ΑΑς")).ids, ["1", "2"]);
  });

  it("keeps users who share an email apart: removing one leaves the others found by it", async () => {
    const index = createMemoryUserIndex();
    await put(index, ...["1", "2", "3"].map((id) => user(id, `shared-${id}`, "o1", "same@example.com")));
    await remove(index, "2");
    assert.deepEqual(find(index, { kind: "inEmails", emails: ["same@example.com"] }).ids, ["1", "3"]);
    await remove(index, "1");
    assert.deepEqual(find(index, { kind: "text", field: "email", method: "equals", value: "same@example.com" }).ids, ["3"]);
  });

  it("finds what a scan of every user finds, in the same order, after renames, removals and moves between orgs leave stale postings", async () => {
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const syllables = ["ka", "lo", "mi", "ner", "ost", "pal", "qu", "ri"];
    const name = () => Array.from({ length: 2 + Math.floor(next() * 4) }, () => pick(syllables)).join("");
    const index = createMemoryUserIndex();
    const live = new Map<string, SearchableUser>();
    for (let round = 0; round < 30; round++) {
      const batch: SearchableUser[] = [];
      for (let k = 0; k < 40; k++) {
        const id = String(Math.floor(next() * 400)).padStart(4, "0");
        if (next() < 0.15) {
          live.delete(id);
          await remove(index, id);
        } else {
          const put = user(id, name(), pick(["o1", "o2"]), next() < 0.5 ? `${name()}@example.com` : undefined);
          live.set(id, put);
          batch.push(put);
        }
      }
      await put(index, ...batch.filter((u) => live.get(u.id) === u));
    }
    // Some slots left free at the end: their users are gone, their postings and names not.
    for (const id of [...live.keys()].filter(() => next() < 0.2)) {
      live.delete(id);
      await remove(index, id);
    }
    for (let search = 0; search < 200; search++) {
      const value = search % 4 === 0 ? name() : pick(syllables) + pick(syllables);
      const method = pick(["containsIgnoreCase", "contains", "equals", "startsWith"] as const);
      const org = pick(["o1", "o2", undefined]);
      const asc = next() < 0.5;
      const [offset, limit] = [Math.floor(next() * 5), 1 + Math.floor(next() * 30)];
      const matching = [...live.values()]
        .filter((u) => (org === undefined || u.org === org) && (method === "equals" ? u.userName === value : method === "startsWith" ? u.userName.startsWith(value) : u.userName.includes(value)))
        .map((u) => u.id)
        .sort();
      if (!asc) matching.reverse();
      const found = index.search({ org, filters: [{ kind: "text", field: "userName", method, value }], sort: "id", asc, offset: BigInt(offset), limit });
      assert.deepEqual(found, { ids: matching.slice(offset, offset + limit), total: matching.length }, `${method} ${value} in ${org}, asc ${asc}, ${offset}+${limit}`);
    }
  });

  it("refuses a search whose terms, checked on every user it must read, would hold the event loop (API-uSq8c)", async () => {
    const index = createMemoryUserIndex();
    await put(index, ...Array.from({ length: 10_000 }, (_, i) => user(String(i), `bulk-${i}`, "o1", `bulk-${i}@example.com`)));
    const names = (n: number): UserFilter => ({ kind: "or", filters: Array.from({ length: n }, (_, i) => ({ kind: "text", field: "displayName", method: "containsIgnoreCase", value: `zq${i}` })) });
    assert.equal(find(index, names(400)).total, 0, "4,000,000 checks: within the bound");
    assert.throws(() => find(index, names(600)), (error: { id?: string }) => error.id === "API-uSq8c");
    assert.equal(find(index, { kind: "and", filters: [equals("bulk-7"), names(600)] }).total, 0, "one user read by its userName: 600 checks");
  });
});

describe("the index's columns", () => {
  it("keep a text's trigram postings when a put keeps the text, and add the new text's when it changes", async () => {
    const { UserColumns } = await import("../../src/projections/search/userColumns.js");
    const columns = new UserColumns();
    columns.put(user("1", "keepname", "o1", "mail@keep.example"));
    // A lock, a profile change: the same userName and email, written again.
    columns.put({ ...user("1", "keepname", "o1", "mail@keep.example"), state: "USER_STATE_LOCKED" });
    columns.put({ ...user("1", "keepname", "o1", "mail@keep.example"), state: "USER_STATE_ACTIVE" });
    assert.equal(columns.userNameTrigrams.candidates("kee")!.length, 1, "one posting, not one per put");
    assert.equal(columns.emailTrigrams.candidates("kee")!.length, 1);
    // The email changes, the userName stays.
    columns.put(user("1", "keepname", "o1", "other@new.example"));
    assert.equal(columns.userNameTrigrams.candidates("kee")!.length, 1);
    assert.equal(columns.emailTrigrams.candidates("new")!.length, 1, "the new email is indexed");
    // A human becomes findable by an email it did not have, and loses it again.
    columns.put(user("2", "plain"));
    columns.put(user("2", "plain", "o1", "late@mail.example"));
    assert.equal(columns.emailTrigrams.candidates("lat")!.length, 1);
    columns.put(user("2", "plain"));
    assert.deepEqual(UserColumns.lookup(columns.byEmail, "late@mail.example"), []);
  });

  it("give the same search answers after many unchanged puts as after one", async () => {
    const index = createMemoryUserIndex();
    for (let i = 0; i < 50; i++) await put(index, user("1", "stable-one", "o1", "s1@x.example"), user("2", "stable-two"));
    await put(index, user("2", "renamed-two"));
    assert.deepEqual(find(index, contains("stable")), { ids: ["1"], total: 1 });
    assert.deepEqual(find(index, contains("renamed")), { ids: ["2"], total: 1 });
    assert.deepEqual(find(index, contains("s1@x", "email")), { ids: ["1"], total: 1 });
  });
});
