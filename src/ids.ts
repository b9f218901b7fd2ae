import { randomInt } from "node:crypto";

/**
 * ZITADEL-style ids: a sonyflake (39 bits of 10 ms ticks since 2019-04-29, 8 bits of sequence,
 * 16 bits of machine id) printed in decimal, e.g. "69629023906488334".
 */
export function createIdGenerator(machineId = randomInt(0, 0xffff), now: () => number = Date.now): () => string {
  const epoch = Date.UTC(2019, 3, 29);
  let lastTick = 0;
  let sequence = 0;
  return () => {
    let tick = Math.floor((now() - epoch) / 10);
    if (tick <= lastTick) {
      tick = lastTick;
      sequence = (sequence + 1) & 0xff;
      // Sequence exhausted within one tick: borrow the next tick rather than repeat an id.
      if (sequence === 0) tick = lastTick + 1;
    } else {
      sequence = 0;
    }
    lastTick = tick;
    return ((BigInt(tick) << 24n) | (BigInt(sequence) << 16n) | BigInt(machineId)).toString();
  };
}
