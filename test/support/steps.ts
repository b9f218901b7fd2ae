import assert from "node:assert/strict";
import type { EventStore } from "../../src/events/eventStore.js";
import type { restClient } from "./service.js";

type Call = ReturnType<typeof restClient>;

/** A machine user named `userName` (in `orgId`, or the caller's org); its id. */
export async function addMachine(call: Call, userName: string, orgId?: string): Promise<string> {
  const created = await call("POST", "/management/v1/users/machine", { userName, name: userName }, orgId ? { orgId } : {});
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.userId as string;
}

/** `response` is ZITADEL's error with this status, code and id, and nothing was appended meanwhile. */
export async function refusedWithNothingAppended(
  store: EventStore,
  response: Promise<{ status: number; body: any }>,
  [status, code, id]: readonly [number, number, string],
): Promise<void> {
  const before = await store.headPosition();
  const { status: actual, body } = await response;
  assert.equal(actual, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.equal(body.details[0].id, id);
  assert.equal(await store.headPosition(), before, "a refused command appends nothing");
}
