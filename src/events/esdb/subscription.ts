import { START, streamNameFilter } from "@eventstore/db-client";
import type { RecordedEvent } from "../envelope.js";
import type { Subscription } from "../eventStore.js";
import type { EsdbClient } from "./client.js";
import { toStoreError } from "./driverErrors.js";
import { fromRecorded, isSystemEvent, logPosition } from "./envelope.js";

/**
 * A catch-up subscription to `$all` after `from` (exclusive), without the server's `$` events.
 * The server filters out `$`-streams; what is left is checked again here, and anything at or
 * before the last position delivered is dropped, so a resubscription never repeats an event.
 * A dropped connection ends the iteration with EventStoreUnavailable (the projector resumes from
 * its checkpoint).
 */
export function subscribeToLog(client: EsdbClient, from: bigint, onClose: () => void): Subscription {
  const source = client.subscribeToAll({
    fromPosition: from === 0n ? START : logPosition(from),
    filter: streamNameFilter({ regex: "^[^$]" }),
  });
  const closing = new AbortController();
  const closed = new Promise<undefined>((resolve) => closing.signal.addEventListener("abort", () => resolve(undefined)));

  async function* follow(): AsyncGenerator<RecordedEvent> {
    const iterator = source[Symbol.asyncIterator]();
    let after = from;
    try {
      while (!closing.signal.aborted) {
        const next = iterator.next();
        next.catch(() => {});
        const result = await Promise.race([next, closed]);
        if (!result || result.done) return;
        const { event } = result.value;
        if (!event || isSystemEvent(event) || event.position.commit <= after) continue;
        after = event.position.commit;
        yield fromRecorded(event);
      }
    } catch (error) {
      if (!closing.signal.aborted) throw toStoreError(error);
    } finally {
      await iterator.return?.();
    }
  }

  const events = follow();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      onClose();
      await source.unsubscribe().catch(() => {});
      await events.return(undefined);
    },
  };
}
