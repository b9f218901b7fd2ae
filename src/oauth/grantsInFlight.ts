/**
 * Per user, this instance's grants between the limit's check and the read model counting them,
 * so that one user's grants arriving here at the same moment cannot pass the limit together.
 * (Grants in flight on other instances at that moment can.)
 *
 * A check reads the read model's count and then decides, with no await between its decision and
 * its hold: two checks cannot both see the other's hold missing. A grant the read model counts
 * while a check is reading is counted by that check as well (the read may have begun before the
 * grant reached the read model); so a check never counts less than what is live, at worst one
 * grant twice, for the length of a read.
 */
export interface GrantsInFlight {
  /**
   * Reads `userId`'s count with `read`, then calls `decide` with it and the grants to add to it;
   * `decide` throws to refuse. When it returns, holds one grant for `userId` and gives back the
   * function that lets it go (once): `counted` when the read model has the grant (or may have it),
   * not when the grant was never recorded.
   */
  reserve<T>(userId: string, read: () => Promise<T>, decide: (counted: T, inFlight: number) => void): Promise<Release>;
  /** Users with a grant held or a check reading; none once all have settled. */
  readonly size: number;
}

export type Release = (counted: boolean) => void;

interface Entry {
  /** Grants held: checked, not yet counted by the read model. */
  held: number;
  /** Checks between their read and their decision. */
  reading: number;
  /** Holds of recorded grants let go since the oldest of the `reading` checks began (0 when none is reading). */
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
    return (counted) => {
      if (!held) return;
      held = false;
      entry.held--;
      if (counted && entry.reading > 0) entry.released++;
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
