import type { UserColumns } from "./userColumns.js";
import type { SortColumn } from "./userSearch.js";

/** Compares two slots: negative when `a` comes first. */
export type SlotOrder = (a: number, b: number) => number;

/**
 * ZITADEL's ORDER BY: text columns by LOWER(column) (code point order here), state and type by
 * their numbers, creation date by time. An absent value (a machine's first name) sorts as NULL
 * in PostgreSQL: after every value ascending, before every value descending. Ties go by id in
 * the same direction, so that a page boundary never depends on storage order.
 */
export function slotOrder(columns: UserColumns, sort: SortColumn, asc: boolean): SlotOrder {
  const byId = (a: number, b: number) => compareText(columns.ids[a]!, columns.ids[b]!);
  const key = keyOf(columns, sort);
  const direction = asc ? 1 : -1;
  return (a, b) => direction * (key(a, b) || byId(a, b));
}

function keyOf(columns: UserColumns, sort: SortColumn): SlotOrder {
  switch (sort) {
    case "id":
      return () => 0;
    case "userName":
      return (a, b) => compareText(columns.userNamesFolded[a]!, columns.userNamesFolded[b]!);
    case "firstName":
    case "lastName":
    case "nickName":
    case "displayName":
    case "email": {
      const values = columns.folded[sort];
      return (a, b) => compareNullable(values[a], values[b]);
    }
    case "state":
      return (a, b) => columns.states[a]! - columns.states[b]!;
    case "type":
      // domain.UserType: human 1, machine 2.
      return (a, b) => Number(columns.humans[b]) - Number(columns.humans[a]);
    case "creationDate":
      return (a, b) => columns.creationTimes[a]! - columns.creationTimes[b]!;
    default: {
      const unknown: never = sort;
      return unknown;
    }
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compareNullable(a: string | undefined, b: string | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return compareText(a, b);
}

/**
 * The first `count` slots of `slots` in `order`, without sorting all of them when only a page's
 * worth is needed: quickselect moves the first `count` to the front (about 3 comparisons a slot,
 * where a heap of the page takes up to 2 log2(count) for every slot that enters it, which is every
 * slot when they come in reverse order), then only those are sorted. A selection that partitions
 * too often (an input made to defeat its pivots) finishes with the heap, whose cost is bounded.
 */
export function firstInOrder(slots: Int32Array, count: number, order: SlotOrder): Int32Array {
  if (count <= 0) return new Int32Array(0);
  const all = slots.slice();
  if (count < all.length && !select(all, count, order)) return firstInOrderByHeap(all, count, order);
  return all.subarray(0, Math.min(count, all.length)).sort(order);
}

/**
 * Rearranges `a` so that its first `k` slots are its first `k` in `order` (Hoare's selection, median
 * of three pivots); false when it gave up after 2 log2(n) + 8 partitions, leaving `a` a permutation.
 */
function select(a: Int32Array, k: number, order: SlotOrder): boolean {
  const target = k - 1;
  let lo = 0;
  let hi = a.length - 1;
  for (let rounds = 2 * Math.log2(a.length) + 8; hi > lo; rounds--) {
    if (rounds <= 0) return false;
    const pivot = medianOfThree(a[lo]!, a[(lo + hi) >>> 1]!, a[hi]!, order);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (order(a[i]!, pivot) < 0) i++;
      while (order(a[j]!, pivot) > 0) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    // Now a[lo..j] come before or at the pivot, a[i..hi] at or after it, and what lies between is the pivot.
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return true;
  }
  return true;
}

function medianOfThree(x: number, y: number, z: number, order: SlotOrder): number {
  if (order(x, y) < 0) return order(y, z) < 0 ? y : order(x, z) < 0 ? z : x;
  return order(x, z) < 0 ? x : order(y, z) < 0 ? z : y;
}

/** The first `count` slots of `slots` in `order` through a bounded max-heap of the best `count` seen so far. */
export function firstInOrderByHeap(slots: Int32Array, count: number, order: SlotOrder): Int32Array {
  if (count <= 0) return new Int32Array(0);
  if (count * 4 >= slots.length) return slots.slice().sort(order).subarray(0, count);
  const heap = new Int32Array(count);
  let size = 0;
  const worse = (i: number, j: number) => order(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const down = (from: number) => {
    for (let i = from; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < size && worse(l, top)) top = l;
      if (r < size && worse(r, top)) top = r;
      if (top === i) return;
      swap(i, top);
      i = top;
    }
  };
  for (const slot of slots) {
    if (size < count) {
      heap[size] = slot;
      for (let i = size++; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (order(slot, heap[0]!) < 0) {
      heap[0] = slot;
      down(0);
    }
  }
  return heap.subarray(0, size).sort(order);
}
