import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { grantsInFlight, untilCounted } from "../../src/oauth/grantsInFlight.js";

/** A read the test answers when it chooses, as a Redis round trip answers late. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const LIMIT = 2;
const refuseAt = (limit: number) => (counted: number, inFlight: number) => {
  if (counted + inFlight >= limit) throw new Error("over the limit");
};

describe("grants in flight (the live-token limit's count on this instance)", () => {
  it("lets no more than the limit through when every check's read answers after all have begun", async () => {
    const inFlight = grantsInFlight();
    const reads = Array.from({ length: 12 }, () => deferred<number>());
    const checks = reads.map((read) => inFlight.reserve("u1", () => read.promise, refuseAt(LIMIT)));
    for (const read of reads) read.resolve(0);
    const settled = await Promise.allSettled(checks);
    assert.equal(settled.filter((check) => check.status === "fulfilled").length, LIMIT);
    assert.equal(settled.filter((check) => check.status === "rejected").length, 12 - LIMIT);
  });

  it("counts a grant the read model took in while a check was reading, whether or not the read saw it", async () => {
    const inFlight = grantsInFlight();
    const release = await inFlight.reserve("u1", async () => 0, refuseAt(LIMIT));
    const read = deferred<number>();
    let seen = -1;
    const check = inFlight.reserve("u1", () => read.promise, (tokens, held) => void (seen = tokens + held));
    // The first grant reaches the read model and is let go; the read began before and answers
    // from before (0), so the count must still hold it.
    release();
    read.resolve(0);
    (await check)();
    assert.equal(seen, 1);
    assert.equal(inFlight.size, 0);
  });

  it("counts, for a check, exactly the holds let go during its own read, however the reads overlap", async () => {
    const inFlight = grantsInFlight();
    const early = await inFlight.reserve("u1", async () => 0, refuseAt(10));
    const readA = deferred<number>();
    const seen: Record<string, number> = {};
    const checkA = inFlight.reserve("u1", () => readA.promise, (tokens, held) => void (seen.a = tokens + held));
    early(); // during A's read only
    const readB = deferred<number>();
    const checkB = inFlight.reserve("u1", () => readB.promise, (tokens, held) => void (seen.b = tokens + held));
    readA.resolve(0);
    const a = await checkA;
    a(); // during B's read, after A's ended
    readB.resolve(0);
    (await checkB)();
    assert.deepEqual(seen, { a: 1, b: 1 }, "A counts the early grant; B counts A's and not the early one, which B's read sees");
    assert.equal(inFlight.size, 0);
  });

  it("keeps users apart, lets a hold go once, and forgets a user once all is settled", async () => {
    const inFlight = grantsInFlight();
    const first = await inFlight.reserve("u1", async () => 0, refuseAt(1));
    await assert.rejects(inFlight.reserve("u1", async () => 0, refuseAt(1)));
    const other = await inFlight.reserve("u2", async () => 0, refuseAt(1));
    const second = await inFlight.reserve("u1", async () => 0, refuseAt(3));
    first();
    first();
    (await inFlight.reserve("u1", async () => 0, (counted, held) => assert.equal(held, 1, "a hold let go twice takes nothing from another")))();
    second();
    other();
    assert.equal(inFlight.size, 0);
  });

  it("lets a hold go when the read fails, and passes the failure on", async () => {
    const inFlight = grantsInFlight();
    await assert.rejects(
      inFlight.reserve("u1", () => Promise.reject(new Error("read model down")), refuseAt(LIMIT)),
      /read model down/,
    );
    assert.equal(inFlight.size, 0);
  });
});

describe("untilCounted (how long a recorded grant stays held)", () => {
  // Its retry timer is unref'd (a stopping service does not wait for it): something must keep
  // this test process's event loop alive meanwhile.
  let alive: NodeJS.Timeout;
  beforeEach(() => (alive = setInterval(() => {}, 1_000)));
  afterEach(() => clearInterval(alive));

  it("waits through a read model that fails to answer, and through one that is behind, until it counts the grant", async () => {
    const answers: (boolean | Error)[] = [new Error("Redis away"), false, new Error("Redis away"), true];
    const asked: number[] = [];
    const reached = async (position: bigint, timeoutMs: number) => {
      asked.push(timeoutMs);
      const answer = answers.shift()!;
      if (answer instanceof Error) throw answer;
      return answer;
    };
    await untilCounted(reached, 7n, { withinMs: 5_000, retryMs: 5 });
    assert.equal(asked.length, 4, "asked until it said so");
    assert.equal(answers.length, 0);
  });

  it("does not let go before the read model counts the grant", async () => {
    const answer = deferred<boolean>();
    let settled = false;
    const waiting = untilCounted(() => answer.promise, 7n, { withinMs: 5_000, retryMs: 5 }).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, false);
    answer.resolve(true);
    await waiting;
    assert.equal(settled, true);
  });

  it("asks for the position again while the log fails to give it, then waits for that position; never past its bound", async () => {
    const heads: (bigint | Error)[] = [new Error("log away"), new Error("log away"), 9n];
    const waitedFor: bigint[] = [];
    await untilCounted(
      async (position) => (waitedFor.push(position), true),
      async () => {
        const head = heads.shift()!;
        if (head instanceof Error) throw head;
        return head;
      },
      { withinMs: 5_000, retryMs: 5 },
    );
    assert.deepEqual([heads.length, waitedFor], [0, [9n]], "asked until the log said, and waited for what it said");

    // A log that never says: held for the whole bound (erring towards refusing), then let go.
    const started = Date.now();
    let asked = 0;
    await untilCounted(async () => true, async () => (asked++, Promise.reject(new Error("log away"))), { withinMs: 100, retryMs: 5 });
    assert.ok(Date.now() - started >= 95, "let go before the bound");
    assert.ok(asked >= 2, `asked ${asked} times`);
  });

  it("gives up at its bound, asking each time for no more than what is left of it", async () => {
    const asked: number[] = [];
    const started = Date.now();
    await untilCounted(
      async (position, timeoutMs) => {
        asked.push(timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 20)));
        return false;
      },
      7n,
      { withinMs: 100, retryMs: 5 },
    );
    assert.ok(Date.now() - started >= 95, "not before the bound");
    assert.ok(asked.length >= 2 && asked.every((timeoutMs, i) => timeoutMs <= 100 && (i === 0 || timeoutMs < asked[i - 1]!)), `asked ${asked}`);
  });
});
