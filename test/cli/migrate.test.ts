import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { migrate, streamChecksum } from "../../src/cli/migrate.js";
import { uniqueConstraint } from "../../src/commands/uniqueConstraints.js";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { EventStoreUnavailable, UniqueConstraintViolation, WrongExpectedRevision } from "../../src/events/errors.js";
import { createEsdbEventStore } from "../../src/events/esdb/esdbEventStore.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { newEvent } from "../contract/eventStore.js";
import { restClient, startTestService } from "../support/service.js";
import { FakeEsdbClient } from "../unit/esdb/fakeClient.js";

let dir: string;
let sourcePath: string;
let sourceLog: RecordedEvent[];
let targets = 0;

// The source is a log the real service wrote: an instance, an extra org with its domain, users with secrets.
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "idledger-migrate-"));
  const service = await startTestService({}, join(dir, "source"));
  const call = restClient(service);
  assert.equal((await call("POST", "/management/v1/orgs", { name: "Acme" })).status, 200);
  const robot = await call("POST", "/management/v1/users/machine", { userName: "Migrated", name: "Migrated" });
  await call("PUT", `/management/v1/users/${robot.body.userId}/secret`, {});
  await call("PUT", `/management/v1/users/${robot.body.userId}/machine`, { name: "Migrated again" });
  for (let i = 0; i < 8; i++) await call("POST", "/management/v1/users/machine", { userName: `bulk-${i}`, name: "Bulk" });
  await service.close();
  sourcePath = join(dir, "source", "events.sqlite");
  sourceLog = await withSource((source) => collect(source.readAll()));
});
after(() => rm(dir, { recursive: true, force: true }));

async function withSource<T>(use: (source: EventStore) => Promise<T>): Promise<T> {
  const source = createSqliteEventStore({ path: sourcePath });
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const inLogOrder = (events: readonly RecordedEvent[]) => events.map(({ stream, revision, id, type, data, metadata }) => ({ stream, revision, id, type, data, metadata }));
const streamsOf = (events: readonly RecordedEvent[]) => [...new Set(events.map((event) => event.stream))];

/** A target whose appends fail once `appendsLeft` have gone through, as a connection lost mid-way. */
function interrupted(target: EventStore, appendsLeft: number): EventStore {
  return {
    ...target,
    append(stream, events, options) {
      if (appendsLeft-- <= 0) return Promise.reject(new EventStoreUnavailable("connection lost"));
      return target.append(stream, events, options);
    },
  };
}

const kinds: [string, () => EventStore][] = [
  ["a second SQLite store", () => createSqliteEventStore({ path: join(dir, `target-${targets++}.sqlite`) })],
  ["the EventStoreDB adapter on the in-memory client", () => createEsdbEventStore({ client: new FakeEsdbClient(), pageSize: 7 })],
];

for (const [kind, openTarget] of kinds) {
  describe(`migrate into ${kind}`, () => {
    async function withBoth<T>(use: (source: EventStore, target: EventStore) => Promise<T>): Promise<T> {
      const target = openTarget();
      try {
        return await withSource((source) => use(source, target));
      } finally {
        await target.close();
      }
    }

    it("copies every stream in log order with ids, types, data and metadata, and the checksums match", async () => {
      await withBoth(async (source, target) => {
        const progress: { phase: string; events: number }[] = [];
        const report = await migrate(source, target, { onProgress: (p) => progress.push(p) });

        assert.deepEqual(report, {
          streams: streamsOf(sourceLog).length,
          events: sourceLog.length,
          copied: sourceLog.length,
          alreadyThere: 0,
          diverged: [],
          mismatched: [],
          ok: true,
        });
        assert.ok(sourceLog.some((event) => event.type === "org.domain.added") && sourceLog.some((event) => event.type === "user.machine.secret.set"));
        assert.deepEqual(inLogOrder(await collect(target.readAll())), inLogOrder(sourceLog));
        for (const stream of streamsOf(sourceLog)) {
          assert.deepEqual(streamChecksum(await target.readStream(stream)), streamChecksum(await source.readStream(stream)), stream);
        }
        const sum = (phase: string) => progress.filter((p) => p.phase === phase).reduce((total, p) => total + p.events, 0);
        assert.deepEqual([sum("copy"), sum("verify")], [sourceLog.length, sourceLog.length]);
      });
    });

    it("claims the unique values in the target: a migrated userName, org name or domain cannot be taken again", async () => {
      await withBoth(async (source, target) => {
        assert.equal((await migrate(source, target)).ok, true);
        const domain = (sourceLog.find((event) => event.type === "org.domain.added")?.data as { domain: string }).domain;
        const taken = [uniqueConstraint("usernames", "add", "MIGRATED"), uniqueConstraint("orgnames", "add", "acme"), uniqueConstraint("orgdomains", "add", domain)];
        for (const constraint of taken) {
          await assert.rejects(
            target.append(`user-${constraint.name}`, [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [constraint] }),
            UniqueConstraintViolation,
            constraint.value,
          );
        }
        await target.append("user-fresh", [newEvent()], { expectedRevision: "no_stream", uniqueConstraints: [uniqueConstraint("usernames", "add", "fresh")] });
      });
    });

    it("resumes after an interruption where the target stands, without duplicating an event", async () => {
      await withBoth(async (source, target) => {
        // part of one stream copied, then a run that loses its connection after a few appends
        const longest = streamsOf(sourceLog).sort((a, b) => sourceLog.filter((e) => e.stream === b).length - sourceLog.filter((e) => e.stream === a).length)[0]!;
        const [first] = await source.readStream(longest);
        assert.ok(first && sourceLog.filter((e) => e.stream === longest).length > 1);
        await target.append(longest, [first], { expectedRevision: "no_stream" });
        await assert.rejects(migrate(source, interrupted(target, 3)), EventStoreUnavailable);
        const before = (await collect(target.readAll())).length;
        assert.ok(before > 1 && before < sourceLog.length, `${before} of ${sourceLog.length} copied before the interruption`);

        const report = await migrate(source, target);
        assert.equal(report.ok, true, JSON.stringify(report));
        assert.deepEqual([report.alreadyThere, report.copied], [before, sourceLog.length - before]);
        const copied = await collect(target.readAll());
        assert.equal(new Set(copied.map((event) => event.id)).size, sourceLog.length);
        assert.deepEqual(
          streamsOf(sourceLog).map((stream) => copied.filter((e) => e.stream === stream).map((e) => e.id)),
          streamsOf(sourceLog).map((stream) => sourceLog.filter((e) => e.stream === stream).map((e) => e.id)),
        );

        const again = await migrate(source, target);
        assert.deepEqual([again.ok, again.copied, again.alreadyThere], [true, 0, sourceLog.length]);
      });
    });

    it("reports a target stream that holds other events, or more, and leaves it as it is", async () => {
      await withBoth(async (source, target) => {
        const [other, longer] = streamsOf(sourceLog).slice(-2) as [string, string];
        const foreign = newEvent("user.machine.added", { userName: "someone-else", name: "Other" });
        await target.append(other, [foreign], { expectedRevision: "no_stream" });
        const longerEvents = await source.readStream(longer);
        await target.append(longer, [...longerEvents, newEvent("user.machine.changed", { name: "Later" })], { expectedRevision: "no_stream" });

        const report = await migrate(source, target);
        assert.equal(report.ok, false);
        assert.deepEqual(report.diverged.map((d) => d.stream).sort(), [other, longer].sort());
        assert.match(report.diverged.find((d) => d.stream === other)!.reason, new RegExp(foreign.id));
        assert.deepEqual(report.mismatched.map((m) => m.stream).sort(), [other, longer].sort());
        assert.deepEqual((await target.readStream(other)).map((event) => event.id), [foreign.id], "not overwritten");
        assert.equal(report.copied, sourceLog.length - longerEvents.length - sourceLog.filter((e) => e.stream === other).length);
      });
    });

    it("appends at the exact expected revision: a stream written in the target meanwhile stops the run", async () => {
      await withBoth(async (source, target) => {
        const stream = sourceLog.at(-1)!.stream;
        const foreign = newEvent("user.machine.added", { userName: "racer", name: "Racer" });
        // another writer appends right after the migration read the stream
        const racing: EventStore = {
          ...target,
          async readStream(name, options) {
            const events = await target.readStream(name, options);
            if (name === stream) await target.append(stream, [foreign], { expectedRevision: "no_stream" });
            return events;
          },
        };
        await assert.rejects(migrate(source, racing), WrongExpectedRevision);
        assert.deepEqual((await target.readStream(stream)).map((event) => event.id), [foreign.id]);
      });
    });

    it("a stream whose events have the source's ids but other content fails the checksum", async () => {
      await withBoth(async (source, target) => {
        const stream = sourceLog.find((event) => event.type === "user.machine.added")!.stream;
        const [added, ...rest] = await source.readStream(stream);
        await target.append(stream, [{ ...added!, data: { ...(added!.data as object), name: "Tampered" } }], { expectedRevision: "no_stream" });

        const report = await migrate(source, target);
        assert.equal(report.ok, false);
        assert.deepEqual(report.diverged, []);
        assert.deepEqual(report.mismatched.map((m) => m.stream), [stream]);
        assert.equal(report.mismatched[0]!.target.events, 1 + rest.length);
        assert.notEqual(report.mismatched[0]!.target.checksum, report.mismatched[0]!.source.checksum);
      });
    });
  });
}

describe("idledger migrate", () => {
  it("needs an esdb:// target, from --to or EVENTSTORE_URL (usage error, exit code 2)", async () => {
    const run = promisify(execFile);
    for (const args of [["migrate"], ["migrate", "--to", "http://localhost:2113"]]) {
      const failed = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--data-dir", join(dir, "source")], {
        env: { ...process.env, EVENTSTORE_URL: "" },
      }).then(
        () => assert.fail("migrate ran"),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /migrate needs --to esdb:\/\//);
    }
  });
});
