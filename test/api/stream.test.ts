import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { pipeEvents } from "../../src/subscribers/sse.js";
import { restClient, startTestService, type TestService } from "../support/service.js";
import { openStream as openSseStream } from "../support/sse.js";

let service: TestService;
let call: ReturnType<typeof restClient>;

const openStream = (query = "", headers: Record<string, string> = {}, token: string | null = service.adminToken) => openSseStream(service.url, token, query, headers);

const logPositions = async () => {
  const positions: string[] = [];
  for await (const event of service.store.readAll()) positions.push(event.position.toString());
  return positions;
};

const addMachine = (userName: string, orgId?: string) =>
  call("POST", "/management/v1/users/machine", { userName, name: userName }, orgId ? { orgId } : {});

before(async () => {
  service = await startTestService();
  call = restClient(service);
});
after(() => service.dispose());

describe("GET /events/v1/stream", () => {
  it("catches up from the start, then streams appends live, in log order", async () => {
    const before = await logPositions();
    const stream = await openStream();
    assert.equal(stream.response.status, 200);
    assert.match(stream.response.headers.get("content-type") ?? "", /^text\/event-stream/);
    await stream.until(before.length);
    const added = await addMachine("live-1");
    const frames = await stream.until(before.length + 1);
    stream.close();
    assert.deepEqual(frames.map((f) => f.id), await logPositions());
    const last = frames.at(-1)!;
    assert.equal(last.event, "user.machine.added");
    assert.equal(last.data.aggregate.id, added.body.userId);
    assert.equal(last.data.position, last.id);
    assert.equal(last.data.revision, 0);
    assert.equal(last.data.data.userName, "live-1");
  });

  it("starts after `from` and keeps only the `types` asked for", async () => {
    const positions = await logPositions();
    const from = positions[2]!;
    const stream = await openStream(`?from=${from}&types=user.*`);
    await addMachine("typed-1");
    const frames = await stream.until(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.close();
    assert.ok(frames.every((f) => f.event.startsWith("user.") && BigInt(f.id) > BigInt(from)));
    assert.equal(frames.at(-1)!.data.data.userName, "typed-1");
    const expected = [];
    for await (const event of service.store.readAll({ from: BigInt(from) })) if (event.type.startsWith("user.")) expected.push(event.position.toString());
    assert.deepEqual(frames.map((f) => f.id), expected);
  });

  it("resumes with Last-Event-ID: nothing lost, nothing repeated", async () => {
    const first = await openStream();
    const seen = (await first.until(3)).slice(0, 3).map((f) => f.id);
    first.close();
    for (let i = 0; i < 5; i++) await addMachine(`while-away-${i}`);
    const all = await logPositions();
    const second = await openStream("?from=0", { "last-event-id": seen.at(-1)! });
    const rest = await second.until(all.length - 3);
    second.close();
    assert.deepEqual([...seen, ...rest.map((f) => f.id)], all);
  });

  it("redacts hashes of secrets, passwords, tokens and codes", async () => {
    const robot = await addMachine("secretive");
    await call("PUT", `/management/v1/users/${robot.body.userId}/secret`, {});
    await call("POST", "/management/v1/users/human", {
      userName: "grace",
      profile: { firstName: "Grace", lastName: "Hopper" },
      email: { email: "grace@example.com" },
      initialPassword: "Secr3t-Passw0rd!",
    });
    const all = await logPositions();
    const stream = await openStream();
    const frames = await stream.until(all.length);
    stream.close();
    assert.doesNotMatch(JSON.stringify(frames), /sha256:|scrypt:/);
    assert.equal(frames.find((f) => f.event === "user.machine.secret.set")!.data.data.hashedSecret, "[redacted]");
  });

  it("shows an org owner only its org's events; refuses the unauthenticated, the unprivileged and bad positions", async () => {
    const org = await call("POST", "/management/v1/orgs", { name: "Streamers" });
    const orgId: string = org.body.id;
    const owner = await addMachine("stream-owner", orgId);
    await call("POST", "/management/v1/orgs/me/members", { userId: owner.body.userId, roles: ["ORG_OWNER"] }, { orgId });
    const pat = await call("POST", `/management/v1/users/${owner.body.userId}/pats`, {}, { orgId });
    await addMachine("outsider");
    await addMachine("insider", orgId);

    const stream = await openStream("", {}, pat.body.token);
    await stream.until(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stream.close();
    assert.ok(stream.frames.some((f) => f.data.data.userName === "insider"));
    assert.ok(stream.frames.every((f) => f.data.metadata.resourceOwner === orgId));

    assert.equal((await openStream("", {}, null)).response.status, 401);
    const plain = await addMachine("stream-plain");
    const plainPat = await call("POST", `/management/v1/users/${plain.body.userId}/pats`, {});
    const denied = await openStream("", {}, plainPat.body.token);
    assert.equal(denied.response.status, 403);
    for (const from of ["abc", "9999999999999999999"]) {
      const bad = await openStream(`?from=${from}`);
      assert.equal(bad.response.status, 400, from);
      assert.equal((await bad.response.json()).code, 3);
    }
  });

  it("ends open streams when the service stops", async () => {
    const other = await startTestService();
    const response = await fetch(`${other.url}/events/v1/stream`, { headers: { authorization: `Bearer ${other.adminToken}` } });
    const body = response.body!.getReader();
    await body.read();
    const stopped = Promise.race([other.dispose().then(() => "stopped"), new Promise((resolve) => setTimeout(() => resolve("hung"), 5000))]);
    assert.equal(await stopped, "stopped");
  });
});

describe("backpressure", () => {
  it("reads the next event only when the client has taken the last frame", async () => {
    let pulled = 0;
    async function* events(): AsyncGenerator<RecordedEvent> {
      for (let i = 1; i <= 10_000; i++) {
        pulled++;
        yield {
          id: String(i), type: "user.machine.changed", stream: "user-1", revision: i, position: BigInt(i),
          data: { description: "x".repeat(1000) },
          metadata: { resourceOwner: "o", instanceId: "i", editorUser: "e", createdAt: new Date(0).toISOString(), correlationId: "c", causationId: "c", schemaVersion: 1 },
        };
      }
    }
    let release = () => {};
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let written = 0;
    // A client that takes one frame, then stops reading until released.
    const client = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk, _encoding, callback) {
        written++;
        if (written === 1) stalled.then(() => callback());
        else callback();
      },
    });
    const done = pipeEvents(events(), client, { wanted: () => true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(pulled < 30, `pulled ${pulled} events from the log for a client that took 1`);
    release();
    await done;
    assert.equal(pulled, 10_000);
    assert.equal(written, 10_000);
  });
});
