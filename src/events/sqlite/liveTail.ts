import type { RecordedEvent } from "../envelope.js";

/** A subscription that has caught up, as the live tail sees it. */
export interface Follower {
  /** Takes the events it has not seen yet; false when they do not fit its queue (it then leaves the tail). */
  deliver(events: readonly RecordedEvent[]): boolean;
  /** The tail could not read the log: the follower reads for itself again, and meets the failure there. */
  dropped(): void;
}

export interface LiveTailStats {
  /** Reads of new events after commits, however many followers they served. */
  readonly tailReads: number;
  /** Commits of this instance handed to the followers as they were written, without a read. */
  readonly committedDeliveries: number;
  readonly followers: number;
}

/**
 * One read of the log's new events per commit, shared by every subscription that has caught up
 * (a follower), instead of one read per subscription. `tail` is the last position read; every
 * follower has seen all events up to a position at or after it, and drops what it has seen
 * already, so a follower may join at any moment without a gap or a repeat. A commit of this
 * instance that follows the tail directly (nothing from another process in between, no read
 * pending) is handed over as it was written, made from the rows' own JSON, instead of read back.
 */
export function createLiveTail(readPage: (after: bigint) => RecordedEvent[], pageSize: number, headPosition: () => bigint) {
  const followers = new Set<Follower>();
  let tail = 0n;
  let scheduled = false;
  let tailReads = 0;
  let committedDeliveries = 0;

  function deliver(page: readonly RecordedEvent[]): void {
    tail = page.at(-1)!.position;
    for (const follower of followers) if (!follower.deliver(page)) followers.delete(follower);
  }

  function readNew(): void {
    scheduled = false;
    if (followers.size === 0) return;
    let page: RecordedEvent[];
    try {
      page = readPage(tail);
    } catch {
      for (const follower of followers) follower.dropped();
      followers.clear();
      return;
    }
    tailReads++;
    if (page.length === 0) return;
    deliver(page);
    // A commit of more than a page (an import): the rest on the next turn, so others get theirs.
    if (page.length === pageSize) schedule(setImmediate);
  }

  function schedule(later: (run: () => void) => unknown): void {
    if (scheduled) return;
    scheduled = true;
    later(readNew);
  }

  return {
    /**
     * Called after every commit of this instance with the events it wrote, in position order (made
     * only when someone follows); they are handed over at once when they follow the tail without
     * a gap, and read from the log once the committing code has run when they do not.
     */
    onCommit(committed: () => readonly RecordedEvent[]): void {
      if (followers.size === 0) return;
      if (!scheduled) {
        const events = committed();
        if (events.length === 0) return;
        if (follows(tail, events)) {
          committedDeliveries++;
          return deliver(events);
        }
      }
      schedule(queueMicrotask);
    },
    /** The log's head as a reader just saw it: appends of another process sharing the file wake the tail too. */
    noticeHead(head: bigint): void {
      if (head > tail) schedule(queueMicrotask);
    },
    /** `position`: the last event the follower has seen, read in the same synchronous step as this call. */
    join(follower: Follower, position: bigint): void {
      // Nobody followed, so the tail may lag far behind: start it where the log ends now (or
      // where the follower is, if it asked to start beyond the end).
      if (followers.size === 0) {
        const head = headPosition();
        tail = position < head ? position : head;
      }
      followers.add(follower);
    },
    leave(follower: Follower): void {
      followers.delete(follower);
    },
    stats: (): LiveTailStats => ({ tailReads, committedDeliveries, followers: followers.size }),
  };
}

/** Whether `events` take the positions right after `tail`, one after the other. */
function follows(tail: bigint, events: readonly RecordedEvent[]): boolean {
  let expected = tail + 1n;
  for (const { position } of events) {
    if (position !== expected) return false;
    expected++;
  }
  return true;
}

export type LiveTail = ReturnType<typeof createLiveTail>;
