import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestService, type TestService } from "../support/service.js";

describe("event type patterns on GET /events/v1/stream", () => {
  let service: TestService;
  before(async () => (service = await startTestService()));
  after(() => service.dispose());

  const open = (types: string) =>
    fetch(`${service.url}/events/v1/stream?types=${encodeURIComponent(types)}`, { headers: { authorization: `Bearer ${service.adminToken}` } });

  it("refuses a pattern a backtracking matcher would stall on, and any outside the grammar or limits, with 400", async () => {
    const many = Array.from({ length: 31 }, (_, i) => `type${i}.added`).join(",");
    for (const types of ["*********X", "user..added", "user.(a+)+", "x".repeat(129), many]) {
      const response = await open(types);
      assert.equal(response.status, 400, types);
      const body = await response.json();
      assert.equal(body.code, 3);
      assert.deepEqual(body.details, []);
      assert.match(body.message, /event type pattern/);
    }
  });

  it("still opens a stream for patterns within the grammar", async () => {
    const controller = new AbortController();
    const response = await fetch(`${service.url}/events/v1/stream?types=user.*,*.added`, {
      headers: { authorization: `Bearer ${service.adminToken}` },
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    controller.abort();
    assert.match(text, /^id: \d+\nevent: [a-z.]*added\n/);
  });
});
