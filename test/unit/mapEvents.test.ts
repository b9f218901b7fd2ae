import assert from "node:assert/strict";
import { it } from "node:test";
import type { RecordedEvent } from "../../src/events/envelope.js";
import { mapEvents } from "../../src/events/mapEvents.js";

// A layer over a long read (the schema check of a replay): what comes out, and that the read under
// it is closed however the loop over it ends, as a `for await ... yield` layer would close it.

const event = (position: number) => ({ position: BigInt(position), type: "t" }) as unknown as RecordedEvent;

/** Events 1..count, and whether the read was closed before it ended. */
function source(count: number) {
  const state = { closed: false };
  async function* events() {
    try {
      for (let position = 1; position <= count; position++) yield event(position);
    } finally {
      state.closed = true;
    }
  }
  return { events: events(), state };
}

it("gives every event mapped, in order, and then ends", async () => {
  const { events } = source(5);
  const read: bigint[] = [];
  for await (const mapped of mapEvents(events, (one) => ({ ...one, position: one.position * 10n }))) read.push(mapped.position);
  assert.deepEqual(read, [10n, 20n, 30n, 40n, 50n]);
});

it("closes the read under it when the loop leaves early", async () => {
  const { events, state } = source(5);
  for await (const mapped of mapEvents(events, (one) => one)) if (mapped.position === 2n) break;
  assert.equal(state.closed, true);
});

it("fails where the map throws, with its error, and closes the read under it", async () => {
  const { events, state } = source(5);
  const read: bigint[] = [];
  const refused = new Error("refused");
  await assert.rejects(
    (async () => {
      for await (const mapped of mapEvents(events, (one) => (one.position === 3n ? assert.fail(refused) : one))) read.push(mapped.position);
    })(),
    refused,
  );
  assert.deepEqual(read, [1n, 2n]);
  assert.equal(state.closed, true);
});
