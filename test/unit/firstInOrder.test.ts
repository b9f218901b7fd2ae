import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstInOrder, firstInOrderByHeap } from "../../src/projections/search/sorting.js";

// A small deterministic generator, so that a failure names the seed that found it.
const random = (seed: number) => () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);

const ascending = (a: number, b: number) => a - b;
const byKeyThenSlot = (keys: readonly number[]) => (a: number, b: number) => keys[a]! - keys[b]! || a - b;

describe("the first slots of a page in order", () => {
  it("are the first of a full sort, whatever order the slots come in and however long the page", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const n = 1 + Math.floor(next() * 3000);
      // Few distinct keys: many ties, broken by slot as ties are broken by id.
      const keys = Array.from({ length: n }, () => Math.floor(next() * (seed % 2 ? 5 : 1e6)));
      const order = byKeyThenSlot(keys);
      const shapes = {
        shuffled: Array.from({ length: n }, (_, i) => i).sort(() => next() - 0.5),
        sorted: Array.from({ length: n }, (_, i) => i).sort(order),
        reversed: Array.from({ length: n }, (_, i) => i).sort((a, b) => order(b, a)),
        organPipe: Array.from({ length: n }, (_, i) => (i % 2 ? i : n - 1 - i)),
      };
      for (const [shape, slots] of Object.entries(shapes)) {
        const all = [...slots].sort(order);
        for (const count of [1, 2, 100, Math.floor(n / 3), n - 1, n, n + 5]) {
          const expected = all.slice(0, Math.max(0, count));
          assert.deepEqual(Array.from(firstInOrder(Int32Array.from(slots), count, order)), expected, `seed ${seed}, ${shape}, ${count} of ${n}`);
          assert.deepEqual(Array.from(firstInOrderByHeap(Int32Array.from(slots), count, order)), expected, `heap: seed ${seed}, ${shape}, ${count} of ${n}`);
        }
      }
    }
  });

  it("stay within n log n comparisons on an input made to defeat the selection's pivots (it finishes with the heap)", () => {
    // McIlroy's adversary ("A killer adversary for quicksort", 1999): it decides each value only
    // when a comparison needs it, always so that the pivot turns out the worst. Replayed with the
    // values it settled on, the same input drives the selection quadratic again, deterministically.
    const n = 4000;
    const gas = n;
    const values = new Array<number>(n).fill(gas);
    let solid = 0;
    let candidate = 0;
    const adversary = (x: number, y: number) => {
      if (values[x] === gas && values[y] === gas) values[x === candidate ? x : y] = solid++;
      if (values[x] === gas) candidate = x;
      else if (values[y] === gas) candidate = y;
      return values[x]! - values[y]!;
    };
    const slots = Int32Array.from({ length: n }, (_, i) => i);
    firstInOrder(slots, 100, adversary);
    for (let i = 0; i < n; i++) if (values[i] === gas) values[i] = solid++;
    let comparisons = 0;
    const replayed = (a: number, b: number) => (comparisons++, values[a]! - values[b]!);
    const page = Array.from(firstInOrder(slots, 100, replayed));
    assert.deepEqual(page, Array.from(slots).sort(replayed).slice(0, 100));
    comparisons = 0;
    firstInOrder(slots, 100, replayed);
    assert.ok(comparisons < 40 * n, `${comparisons} comparisons for ${n} slots`);
  });

  it("is empty for no page", () => {
    assert.equal(firstInOrder(Int32Array.from([3, 1, 2]), 0, ascending).length, 0);
    assert.equal(firstInOrder(new Int32Array(0), 10, ascending).length, 0);
  });
});
