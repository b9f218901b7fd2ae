import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ListQuery } from "@zitadel/proto/zitadel/object_pb.js";

/** What a ListQuery without a limit lists, and the longest page there is. */
const MAX_LISTED = 1000;

/**
 * The page of `items` (already in their order) that zitadel.v1.ListQuery asks for. `asc` changes
 * nothing, as in ZITADEL's list queries that set no sorting column. `offset` is a uint64: compared
 * as a bigint, so an offset beyond the list is an empty page, never a lost digit.
 */
export function page<T>(items: readonly T[], query: ListQuery | undefined): T[] {
  const requested = query?.offset ?? 0n;
  const offset = requested < BigInt(items.length) ? Number(requested) : items.length;
  return items.slice(offset, offset + Math.min(query?.limit || MAX_LISTED, MAX_LISTED));
}

/** zitadel.v1.ListDetails: the whole list's length and the log position the read model has reached. */
export const listDetailsPb = (totalResult: number, processedPosition: bigint) => ({
  totalResult: BigInt(totalResult),
  processedSequence: processedPosition,
  viewTimestamp: timestampFromDate(new Date()),
});
