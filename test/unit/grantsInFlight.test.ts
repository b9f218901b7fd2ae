import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { grantsInFlight } from "../../src/oauth/grantsInFlight.js";

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

  /** A grant held, let go (`counted` or not) while a second check reads: what that check counts, the read answering from before (0). */
  async function countedDuringRead(counted: boolean): Promise<number> {
    const inFlight = grantsInFlight();
    const release = await inFlight.reserve("u1", async () => 0, refuseAt(LIMIT));
    const read = deferred<number>();
    let seen = -1;
    const check = inFlight.reserve("u1", () => read.promise, (tokens, held) => void (seen = tokens + held));
    release(counted);
    read.resolve(0);
    (await check)(true);
    assert.equal(inFlight.size, 0);
    return seen;
  }

  it("counts a grant the read model took in while a check was reading, whether or not the read saw it", async () => {
    assert.equal(await countedDuringRead(true), 1);
  });

  it("does not count a grant let go unrecorded while a check was reading", async () => {
    assert.equal(await countedDuringRead(false), 0);
  });

  it("keeps users apart, lets a hold go once, and forgets a user once all is settled", async () => {
    const inFlight = grantsInFlight();
    const first = await inFlight.reserve("u1", async () => 0, refuseAt(1));
    await assert.rejects(inFlight.reserve("u1", async () => 0, refuseAt(1)));
    const other = await inFlight.reserve("u2", async () => 0, refuseAt(1));
    first(true);
    first(true);
    const again = await inFlight.reserve("u1", async () => 0, (counted, held) => assert.equal(held, 0, "a hold let go twice counts once"));
    again(true);
    other(false);
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
