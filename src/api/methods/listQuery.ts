import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ListQuery } from "@zitadel/proto/zitadel/object_pb.js";
import { fail } from "../../errors.js";

/** What a ListQuery without a limit lists, and the longest page there is. */
const MAX_LISTED = 1000;

/**
 * The page of `items` (already in their order) that zitadel.v1.ListQuery asks for. `asc` changes
 * nothing, as in ZITADEL's list queries that set no sorting column. `offset` is a uint64: compared
 * as a bigint, so an offset beyond the list is an empty page, never a lost digit.
 */
export function page<T>(items: readonly T[], query: ListQuery | undefined): T[] {
  return slice(items, query?.offset ?? 0n, Math.min(query?.limit || MAX_LISTED, MAX_LISTED));
}

/** `limit` items from `offset` on; an offset beyond the list is an empty page. */
export function slice<T>(items: readonly T[], offset: bigint, limit: number): T[] {
  const start = offset < BigInt(items.length) ? Number(offset) : items.length;
  return items.slice(start, start + limit);
}

/** zitadel.v1.ListDetails: the whole list's length and the log position the read model has reached. */
export const listDetailsPb = (totalResult: number, processedPosition: bigint) => ({
  totalResult: BigInt(totalResult),
  processedSequence: processedPosition,
  viewTimestamp: timestampFromDate(new Date()),
});

/** ZITADEL's SystemDefaults for list queries (cmd/defaults.yaml): what a limit of 0 lists, and the largest limit it takes. */
const DEFAULT_QUERY_LIMIT = 100;
const MAX_QUERY_LIMIT = 1000;

/**
 * A ListQuery as ZITADEL's ListQueryToModel reads it for the searches (ListUsers and the other
 * lists served from an index): a limit of 0 is 100, one above 1000 is refused (QUERY-4M0fs).
 */
export function searchPage(query: ListQuery | undefined): { offset: bigint; limit: number; asc: boolean } {
  const limit = query?.limit ?? 0;
  if (limit > MAX_QUERY_LIMIT) fail("listLimitExceeded", `The limit is too high (given: ${limit}, allowed: ${MAX_QUERY_LIMIT})`);
  return { offset: query?.offset ?? 0n, limit: limit || DEFAULT_QUERY_LIMIT, asc: query?.asc ?? false };
}
