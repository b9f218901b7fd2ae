import type { Doc, ReadModel, Write } from "../readModel.js";
import { candidates, compile, isTrue, smallest } from "./evaluate.js";
import { firstInOrder, slotOrder } from "./sorting.js";
import { UserColumns } from "./userColumns.js";
import { searchCollection, type SearchableUser, type UserSearchIndex } from "./userSearch.js";

/**
 * The in-process user search index. A search reads the candidates the lookups give (a userName,
 * an email, a trigram of either, ids) or else every user of the org, keeps those the compiled
 * filter finds true, counts them all, and sorts only as many as the page needs.
 */
export function createMemoryUserIndex(): UserSearchIndex {
  const columns = new UserColumns();
  let checkpoint: bigint | undefined;

  const apply = (write: Write) => {
    if (write.collection !== searchCollection) return;
    if (write.op === "delete") columns.remove(write.id);
    else columns.put(write.doc as SearchableUser);
  };

  const store: ReadModel = {
    async get<T extends Doc>(collection: string, id: string) {
      return (collection === searchCollection ? columns.get(id) : undefined) as T | undefined;
    },
    // The search reducers look users up by id only.
    async find() {
      return [];
    },
    async commit(writes, position) {
      for (const write of writes) apply(write);
      checkpoint = position;
    },
    async checkpoint() {
      return checkpoint;
    },
    async close() {
      columns.clear();
    },
  };

  return {
    store,
    search({ org, filters, sort, asc, offset, limit }) {
      const inOrg = org === undefined ? undefined : columns.slotsByOrg.get(org);
      if (org !== undefined && !inOrg) return { ids: [], total: 0 };
      const matcher = compile(columns, { kind: "and", filters });
      const known = smallest(filters.map((filter) => candidates(columns, filter)));
      const matches: number[] = [];
      // Candidates may repeat a slot or name one whose user changed since: each is checked once, as it is now.
      const seen = known && new Set<number>();
      const consider = (slot: number) => {
        if (seen) {
          if (seen.has(slot)) return;
          seen.add(slot);
          if (inOrg ? !inOrg.has(slot) : columns.ids[slot] === undefined) return;
        }
        if (isTrue(matcher(slot))) matches.push(slot);
      };
      if (known) for (let i = 0; i < known.length; i++) consider(known[i]!);
      else for (const slot of inOrg ?? columns.slotById.values()) consider(slot);
      const total = matches.length;
      const start = offset < BigInt(total) ? Number(offset) : total;
      const page = firstInOrder(Int32Array.from(matches), Math.min(total, start + limit), slotOrder(columns, sort, asc)).subarray(start);
      return { ids: Array.from(page, (slot) => columns.ids[slot]!), total };
    },
  };
}
