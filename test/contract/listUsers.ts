import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { restClient, startTestService, type TestService } from "../support/service.js";

/**
 * ListUsers' contract, over real HTTP against a service set up as `env` says (in-process read
 * model, or Redis): the same requests must give the same answers whichever read model serves
 * the documents. Each test works in an org of its own, so answers are exact.
 */
export function testListUsers(name: string, env: () => Record<string, string> | undefined, { skipReason = "backend not reachable" } = {}): void {
  describe(`ListUsers contract [${name}]`, () => {
    const settings = env();
    if (!settings) {
      console.warn(`SKIP ListUsers contract [${name}]: ${skipReason}`);
      it("all cases", { skip: skipReason }, () => {});
      return;
    }
    let service: TestService;
    let call: ReturnType<typeof restClient>;
    // One org holds `people` for every read-only case (userNames are unique in the instance); svc-alpha is locked.
    let orgId: string;
    let ids: Record<string, string>;
    before(async () => {
      service = await startTestService(settings);
      call = restClient(service);
      ({ orgId, ids } = await orgWith(people));
      assert.equal((await call("POST", `/management/v1/users/${ids["svc-alpha"]}/_lock`, {}, { orgId })).status, 200);
    });
    after(() => service.dispose());

    /** A fresh org with the users of `people`; their ids by userName. */
    async function orgWith(people: readonly Person[]): Promise<{ orgId: string; ids: Record<string, string> }> {
      const org = await call("POST", "/management/v1/orgs", { name: `org-${randomUUID()}` });
      assert.equal(org.status, 200, JSON.stringify(org.body));
      const orgId = org.body.id as string;
      const ids: Record<string, string> = {};
      for (const person of people) ids[person.userName] = await add(call, orgId, person);
      return { orgId, ids };
    }

    const list = async (orgId: string, body: object) => {
      const response = await call("POST", "/management/v1/users/_search", body, { orgId });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { names: (response.body.result ?? []).map((user: { userName: string }) => user.userName) as string[], body: response.body };
    };
    const namesOf = async (orgId: string, queries: object[]) => (await list(orgId, { queries, sortingColumn: "USER_FIELD_NAME_USER_NAME", query: { asc: true } })).names;

    it("every text query with every method, on every text field", async () => {
      const expect = async (query: object, wanted: string[]) => assert.deepEqual(await namesOf(orgId, [query]), [...wanted].sort(byLower), JSON.stringify(query));
      const userName = (method: string, value: string) => ({ userNameQuery: { userName: value, method: `TEXT_QUERY_METHOD_${method}` } });
      await expect(userName("EQUALS", "Alice.Smith"), ["Alice.Smith"]);
      await expect(userName("EQUALS", "alice.smith"), []);
      await expect(userName("EQUALS_IGNORE_CASE", "ALICE.SMITH"), ["Alice.Smith"]);
      await expect(userName("STARTS_WITH", "svc"), ["svc-alpha", "svc_beta"]);
      await expect(userName("STARTS_WITH_IGNORE_CASE", "svc"), ["svc-alpha", "svc_beta", "SVC-gamma"]);
      await expect(userName("CONTAINS", "a"), ["carol%50", "svc-alpha", "svc_beta", "SVC-gamma"]);
      await expect(userName("CONTAINS_IGNORE_CASE", "A"), ["Alice.Smith", "carol%50", "svc-alpha", "svc_beta", "SVC-gamma"]);
      await expect(userName("CONTAINS_IGNORE_CASE", "Ä"), ["ärgerÖl"]);
      await expect(userName("ENDS_WITH", "ha"), ["svc-alpha"]);
      await expect(userName("ENDS_WITH_IGNORE_CASE", "ÖL"), ["ärgerÖl"]);
      await expect({ firstNameQuery: { firstName: "alice", method: "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE" } }, ["Alice.Smith"]);
      await expect({ lastNameQuery: { lastName: "Smith", method: "TEXT_QUERY_METHOD_EQUALS" } }, ["Alice.Smith", "carol%50"]);
      await expect({ nickNameQuery: { nickName: "a", method: "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE" } }, ["Alice.Smith"]);
      await expect({ displayNameQuery: { displayName: " S", method: "TEXT_QUERY_METHOD_CONTAINS" } }, ["Alice.Smith"]);
      await expect({ emailQuery: { emailAddress: "EXAMPLE.COM", method: "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE" } }, ["Alice.Smith", "bob_jones", "ärgerÖl"]);
      await expect({ emailQuery: { emailAddress: "example.com", method: "TEXT_QUERY_METHOD_ENDS_WITH" } }, ["Alice.Smith", "ärgerÖl"]);
      await expect({ loginNameQuery: { loginName: "bob_jones", method: "TEXT_QUERY_METHOD_EQUALS" } }, ["bob_jones"]);
      // Unicode: case folding by code point, not by byte.
      await expect({ lastNameQuery: { lastName: "üBER", method: "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE" } }, ["ärgerÖl"]);
    });

    it("%, _ and * are plain characters, never wildcards", async () => {
      const contains = (value: string) => [{ userNameQuery: { userName: value, method: "TEXT_QUERY_METHOD_CONTAINS" } }];
      assert.deepEqual(await namesOf(orgId, contains("%")), ["carol%50"]);
      assert.deepEqual(await namesOf(orgId, contains("_")), ["bob_jones", "svc_beta"]);
      assert.deepEqual(await namesOf(orgId, contains("l%5")), ["carol%50"]);
      assert.deepEqual(await namesOf(orgId, contains("c_b")), ["svc_beta"]);
      assert.deepEqual(await namesOf(orgId, contains("s_c")), []);
      assert.deepEqual(await namesOf(orgId, [{ displayNameQuery: { displayName: "*", method: "TEXT_QUERY_METHOD_ENDS_WITH" } }]), ["carol%50"]);
      assert.deepEqual(await namesOf(orgId, [{ userNameQuery: { userName: "%", method: "TEXT_QUERY_METHOD_STARTS_WITH" } }]), []);
    });

    it("state, type, ids and emails; nested or/and/not with SQL's NULL for a machine's human fields", async () => {
      assert.deepEqual(await namesOf(orgId, [{ stateQuery: { state: "USER_STATE_LOCKED" } }]), ["svc-alpha"]);
      assert.deepEqual(await namesOf(orgId, [{ stateQuery: { state: "USER_STATE_INITIAL" } }]), ["carol%50"]);
      assert.deepEqual(await namesOf(orgId, [{ stateQuery: { state: "USER_STATE_DELETED" } }]), []);
      assert.deepEqual(await namesOf(orgId, [{ typeQuery: { type: "TYPE_MACHINE" } }]), ["svc-alpha", "SVC-gamma", "svc_beta"]);
      assert.deepEqual(await namesOf(orgId, [{ inUserIdsQuery: { userIds: [ids["bob_jones"], ids["svc_beta"], "nobody"] } }]), ["bob_jones", "svc_beta"]);
      assert.deepEqual(await namesOf(orgId, [{ inUserEmailsQuery: { userEmails: ["alice@example.com", "bob.jones@example.com"] } }]), ["Alice.Smith"]);
      const alice = { firstNameQuery: { firstName: "Alice", method: "TEXT_QUERY_METHOD_EQUALS" } };
      const machine = { typeQuery: { type: "TYPE_MACHINE" } };
      // NOT (first_name = 'Alice') is NULL for a machine: machines are not listed.
      assert.deepEqual(await namesOf(orgId, [{ notQuery: { query: alice } }]), ["bob_jones", "carol%50", "ärgerÖl"]);
      // ... unless an OR makes the row true by another way.
      assert.deepEqual(await namesOf(orgId, [{ orQuery: { queries: [{ notQuery: { query: alice } }, machine] } }]), ["bob_jones", "carol%50", "svc-alpha", "SVC-gamma", "svc_beta", "ärgerÖl"]);
      assert.deepEqual(
        await namesOf(orgId, [{ andQuery: { queries: [machine, { notQuery: { query: { userNameQuery: { userName: "svc", method: "TEXT_QUERY_METHOD_STARTS_WITH" } } } }] } }]),
        ["SVC-gamma"],
      );
      // Top-level queries all hold.
      assert.deepEqual(await namesOf(orgId, [machine, { stateQuery: { state: "USER_STATE_ACTIVE" } }]), ["SVC-gamma", "svc_beta"]);
    });

    it("sorts by every column, case-insensitively for text, NULLs as PostgreSQL does, ties by id", async () => {
      const sorted = async (column: string, asc?: boolean) =>
        (await list(orgId, { sortingColumn: `USER_FIELD_NAME_${column}`, ...(asc === undefined ? {} : { query: { asc } }) })).names;
      // By code point of the lower-cased name ('-' before '_'), not by a locale's collation.
      assert.deepEqual(await sorted("USER_NAME", true), ["Alice.Smith", "bob_jones", "carol%50", "svc-alpha", "SVC-gamma", "svc_beta", "ärgerÖl"]);
      assert.deepEqual(await sorted("USER_NAME"), ["ärgerÖl", "svc_beta", "SVC-gamma", "svc-alpha", "carol%50", "bob_jones", "Alice.Smith"], "asc defaults to false");
      // Machines have no first name: NULLs last ascending (ties by id), first descending.
      const machinesById = ["svc-alpha", "svc_beta", "SVC-gamma"].sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
      assert.deepEqual(await sorted("FIRST_NAME", true), ["Alice.Smith", "bob_jones", "carol%50", "ärgerÖl", ...machinesById]);
      assert.deepEqual(await sorted("FIRST_NAME", false), [...machinesById.reverse(), "ärgerÖl", "carol%50", "bob_jones", "Alice.Smith"]);
      const byId = Object.keys(ids).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
      assert.deepEqual(await sorted("UNSPECIFIED", true), byId);
      assert.deepEqual(await sorted("UNSPECIFIED"), [...byId].reverse());
      const lastNames = await sorted("LAST_NAME", true);
      const smiths = ["Alice.Smith", "carol%50"].sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
      assert.deepEqual(lastNames.slice(0, 4), ["bob_jones", ...smiths, "ärgerÖl"], "equal last names: by id");
      assert.deepEqual((await sorted("TYPE", true)).slice(0, 4).sort(), ["Alice.Smith", "bob_jones", "carol%50", "ärgerÖl"].sort(), "humans (1) before machines (2)");
      assert.deepEqual(await sorted("CREATION_DATE", true), people.map((person) => person.userName));
      assert.equal((await sorted("STATE", false))[0], "carol%50", "INITIAL (6) is the highest state");
      assert.deepEqual((await sorted("EMAIL", true)).slice(0, 4), ["ärgerÖl", "Alice.Smith", "bob_jones", "carol%50"], "aerger@ before alice@");
      for (const column of ["NICK_NAME", "DISPLAY_NAME"]) assert.equal((await sorted(column, true)).length, people.length);
    });

    it("pages with offset and limit; totalResult counts every match before them", async () => {
      const all = (await list(orgId, { query: { asc: true } })).names;
      for (const [offset, limit] of [[0, 2], [2, 2], [6, 2], [7, 2], [100, 5]] as const) {
        const page = await list(orgId, { query: { offset: String(offset), limit, asc: true } });
        assert.deepEqual(page.names, all.slice(offset, offset + limit));
        assert.equal(page.body.details.totalResult, String(people.length));
      }
      const filtered = await list(orgId, { query: { limit: 1 }, queries: [{ typeQuery: { type: "TYPE_HUMAN" } }] });
      assert.equal(filtered.names.length, 1);
      assert.equal(filtered.body.details.totalResult, "4");
      assert.match(filtered.body.details.processedSequence, /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(filtered.body.details.viewTimestamp)));
      const huge = await list(orgId, { query: { offset: "18446744073709551615" } });
      assert.deepEqual(huge.names, []);
      assert.equal(huge.body.details.totalResult, String(people.length));
    });

    it("never lists or counts a user of another org", async () => {
      const other = await orgWith([{ userName: `Alice.Other-${randomUUID()}`, human: { firstName: "Alice", lastName: "Smith", email: "alice@example.com" } }]);
      const alices = await list(orgId, { queries: [{ firstNameQuery: { firstName: "Alice", method: "TEXT_QUERY_METHOD_EQUALS" } }] });
      assert.deepEqual(alices.names, ["Alice.Smith"]);
      assert.equal(alices.body.details.totalResult, "1");
      const theirs = await list(other.orgId, {});
      assert.equal(theirs.body.details.totalResult, "1");
    });

    it("reads its writes: a create, a change, a lock and a removal show in the very next ListUsers", async () => {
      const { orgId: own } = await orgWith([]);
      const fresh = `fresh-${randomUUID()}`;
      const id = await add(call, own, { userName: fresh });
      assert.deepEqual((await list(own, {})).names, [fresh]);
      assert.equal((await call("PUT", `/management/v1/users/${id}/username`, { userName: `re-${fresh}` }, { orgId: own })).status, 200);
      assert.deepEqual(await namesOf(own, [{ userNameQuery: { userName: `re-${fresh}`, method: "TEXT_QUERY_METHOD_EQUALS" } }]), [`re-${fresh}`]);
      assert.equal((await call("POST", `/management/v1/users/${id}/_lock`, {}, { orgId: own })).status, 200);
      const locked = await list(own, { queries: [{ stateQuery: { state: "USER_STATE_LOCKED" } }] });
      assert.equal(locked.body.result[0].state, "USER_STATE_LOCKED");
      assert.equal((await call("DELETE", `/management/v1/users/${id}`, undefined, { orgId: own })).status, 200);
      const gone = await list(own, {});
      assert.deepEqual(gone.names, []);
      assert.equal(gone.body.details.totalResult ?? "0", "0");
    });

    it("answers each user as GetUserByID does", async () => {
      const { body } = await list(orgId, { queries: [{ inUserIdsQuery: { userIds: [ids["Alice.Smith"], ids["svc-alpha"]] } }] });
      for (const user of body.result) assert.deepEqual(user, (await call("GET", `/management/v1/users/${user.id}`, undefined, { orgId })).body.user);
    });
  });
}

export interface Person {
  readonly userName: string;
  /** A human with these; a machine without. */
  readonly human?: { firstName: string; lastName: string; nickName?: string; displayName?: string; email: string; initial?: boolean };
}

/** Created in this order (CREATION_DATE ascending). carol%50 has no password: INITIAL. */
export const people: readonly Person[] = [
  { userName: "Alice.Smith", human: { firstName: "Alice", lastName: "Smith", nickName: "Al", displayName: "Alice S", email: "alice@example.com" } },
  { userName: "bob_jones", human: { firstName: "Bob", lastName: "Jones", displayName: "Bob J", email: "Bob.Jones@Example.com" } },
  { userName: "carol%50", human: { firstName: "Carol", lastName: "Smith", nickName: "Caz", displayName: "Carol*", email: "carol@example.org", initial: true } },
  { userName: "ärgerÖl", human: { firstName: "Ärger", lastName: "Über", email: "aerger@example.com" } },
  { userName: "svc-alpha" },
  { userName: "svc_beta" },
  { userName: "SVC-gamma" },
];

export async function add(call: ReturnType<typeof restClient>, orgId: string, person: Person): Promise<string> {
  const userName = person.userName;
  const created = person.human
    ? await call(
        "POST",
        "/management/v1/users/human",
        {
          userName,
          profile: { firstName: person.human.firstName, lastName: person.human.lastName, nickName: person.human.nickName ?? "", displayName: person.human.displayName ?? "" },
          email: { email: person.human.email, isEmailVerified: !person.human.initial },
          ...(person.human.initial ? {} : { initialPassword: "Initial!Passw0rd" }),
        },
        { orgId },
      )
    : await call("POST", "/management/v1/users/machine", { userName, name: userName }, { orgId });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.userId as string;
}

const byLower = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
