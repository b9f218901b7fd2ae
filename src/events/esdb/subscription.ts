import { isCommandError, streamNameFilter, type AllStreamResolvedEvent } from "@eventstore/db-client";
import type { RecordedEvent } from "../envelope.js";
import { EventStoreUnavailable } from "../errors.js";
import type { Subscription } from "../eventStore.js";
import type { EsdbClient } from "./client.js";
import { toStoreError } from "./driverErrors.js";
import { fromRecorded, isServed, servedStreams } from "./envelope.js";
import type { LogReader } from "./logReader.js";

/**
 * A catch-up subscription to `$all` after `from` (exclusive, any number: see logReader.ts), without
 * the server's `$` events and our reservations. The server filters the streams; what is left is
 * checked again here, and anything at or before the last position delivered is dropped.
 * It ends only when closed: any other end (the connection lost, a node restarting or shutting
 * down, a server before 24.2 dropping a subscriber that fell 32 events behind) throws
 * EventStoreUnavailable, and a new subscription from the last position seen carries on.
 */
export function subscribeToLog(
  client: EsdbClient,
  log: LogReader,
  { from, filter }: { readonly from: bigint; readonly filter?: (event: RecordedEvent) => boolean },
  onClose: () => void,
): Subscription {
  const closing = new AbortController();
  const closed = new Promise<undefined>((resolve) => closing.signal.addEventListener("abort", () => resolve(undefined)));
  let source: ReturnType<EsdbClient["subscribeToAll"]> | undefined;

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let iterator: AsyncIterator<AllStreamResolvedEvent> | undefined;
    let after = from;
    try {
      const fromPosition = await Promise.race([log.startAfter(from), closed]);
      if (!fromPosition) return;
      source = client.subscribeToAll({ fromPosition, filter: streamNameFilter({ regex: servedStreams }), requiresLeader: true });
      iterator = source[Symbol.asyncIterator]();
      while (!closing.signal.aborted) {
        const next = iterator.next();
        next.catch(() => {});
        const result = await Promise.race([next, closed]);
        if (!result) return;
        if (result.done) throw new EventStoreUnavailable("eventstoredb ended the subscription");
        const { event } = result.value;
        if (!event || !isServed(event) || event.position.commit <= after) continue;
        after = event.position.commit;
        const recorded = fromRecorded(event);
        if (!filter || filter(recorded)) yield recorded;
      }
    } catch (error) {
      if (closing.signal.aborted) return;
      const storeError = toStoreError(error);
      // whatever else the server ended it with (an invalid position, an unknown error), a new subscription may carry on
      if (storeError instanceof Error && isCommandError(storeError)) {
        throw new EventStoreUnavailable(`eventstoredb ended the subscription: ${storeError.message}`, { cause: error });
      }
      throw storeError;
    } finally {
      await iterator?.return?.();
    }
  }

  const events = follow();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      onClose();
      await source?.unsubscribe().catch(() => {});
      await events.return(undefined);
    },
  };
}
