import { setTimeout as sleep } from "node:timers/promises";

/**
 * Per user, this instance's grants between the limit's check and the read model counting them,
 * so that one user's grants arriving here at the same moment cannot pass the limit together.
 * (Grants in flight on other instances at that moment can.)
 *
 * A check reads the read model's count and then decides, with no await between its decision and
 * its hold: two checks cannot both see the other's hold missing. A grant the read model counts
 * while a check is reading is counted by that check as well (the read may have begun before the
 * grant reached the read model): each such grant may be counted twice by that one check, which
 * errs towards refusing. A check counts less than what is live only when a hold went before the
 * read model had its grant: after `untilCounted`'s bound.
 */
export interface GrantsInFlight {
  /**
   * Reads `userId`'s count with `read`, then calls `decide` with it and the grants to add to it;
   * `decide` throws to refuse. When it returns, holds one grant for `userId` and gives back the
   * function that lets it go (once), when the read model has the grant (`untilCounted`).
   */
  reserve<T>(userId: string, read: () => Promise<T>, decide: (counted: T, inFlight: number) => void): Promise<Release>;
  /** Users with a grant held or a check reading; none once all have settled. */
  readonly size: number;
}

export type Release = () => void;

interface Entry {
  /** Grants held: checked, not yet counted by the read model. */
  held: number;
  /** Checks between their read and their decision. */
  reading: number;
  /** Holds let go since the oldest of the `reading` checks began (0 when none is reading). */
  released: number;
}

export function grantsInFlight(): GrantsInFlight {
  const byUser = new Map<string, Entry>();
  const settle = (userId: string, entry: Entry) => {
    if (entry.reading === 0) entry.released = 0;
    if (entry.reading === 0 && entry.held === 0) byUser.delete(userId);
  };

  const hold = (userId: string, entry: Entry): Release => {
    entry.held++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      entry.held--;
      if (entry.reading > 0) entry.released++;
      settle(userId, entry);
    };
  };

  return {
    async reserve(userId, read, decide) {
      let entry = byUser.get(userId);
      if (!entry) byUser.set(userId, (entry = { held: 0, reading: 0, released: 0 }));
      entry.reading++;
      const releasedBefore = entry.released;
      try {
        const counted = await read();
        decide(counted, entry.held + entry.released - releasedBefore);
        return hold(userId, entry);
      } finally {
        entry.reading--;
        settle(userId, entry);
      }
    },
    get size() {
      return byUser.size;
    },
  };
}

/** The longest a recorded grant is held for the read model to count it. */
const COUNTED_WITHIN_MS = 30_000;

/**
 * Resolves once `reached` says the read model reflects `position`, or after `withinMs`: a read
 * model that is slow, or fails to answer (Redis gone for a moment: tried again after `retryMs`),
 * keeps the grant held meanwhile rather than leave it counted nowhere. `position` may be asked for
 * (the log's head, for a grant that failed), and is asked again likewise while the log fails to
 * say. Past the bound the hold goes: a read model that far behind answers every grant 503 at its
 * catch-up, before any count.
 */
export async function untilCounted(
  reached: (position: bigint, timeoutMs: number) => Promise<boolean>,
  position: bigint | (() => Promise<bigint>),
  { withinMs = COUNTED_WITHIN_MS, retryMs = 1_000 }: { readonly withinMs?: number; readonly retryMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + withinMs;
  let at = typeof position === "bigint" ? position : undefined;
  for (let left = withinMs; left > 0; left = deadline - Date.now()) {
    try {
      at ??= await (position as () => Promise<bigint>)();
      if (await reached(at, left)) return;
    } catch {
      // Unref'd: a stopping service does not wait for a hold.
      await sleep(Math.min(retryMs, left), undefined, { ref: false });
    }
  }
}
