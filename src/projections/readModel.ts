/** A document as the read model stores it: plain JSON. */
export type Doc = { readonly [key: string]: unknown };

/**
 * One change a reducer asks for. `indexes` maps an index name to the value this document is
 * found under (e.g. `{ userName: "robot", org: "1234" }`); a put replaces the document's
 * previous index entries, a delete removes them. `expiresAt` (ms since the epoch, for a document
 * without index entries): from then on the document is gone, as if deleted, and its memory given
 * back; one put with it already past stores nothing. What the read model holds of something that
 * ends by itself (an access token) is then bounded by what is still live.
 */
export type Write =
  | {
      readonly op: "put";
      readonly collection: string;
      readonly id: string;
      readonly doc: Doc;
      readonly indexes?: Readonly<Record<string, string>>;
      readonly expiresAt?: number;
    }
  | { readonly op: "delete"; readonly collection: string; readonly id: string };

/** Refuses a put that asks for an expiry and index entries both (a reducer's mistake), before an adapter applies any write of its commit. */
export function assertExpiryAlone(writes: readonly Write[]): void {
  for (const write of writes) {
    if (write.op === "put" && write.expiresAt !== undefined && Object.keys(write.indexes ?? {}).length > 0) {
      throw new Error(`read model: ${write.collection}/${write.id} asks for an expiry and index entries both`);
    }
  }
}

/**
 * The read model port. Every adapter passes `test/contract/readModel.ts`.
 * `commit` applies writes and the new checkpoint atomically: a crash never applies
 * an event twice or skips one.
 */
export interface ReadModel {
  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined>;
  /** Ids of the documents whose `index` entry equals `value`, sorted. */
  find(collection: string, index: string, value: string): Promise<string[]>;
  commit(writes: readonly Write[], checkpoint: bigint): Promise<void>;
  /** Position of the last event applied; `undefined` when nothing was ever applied (or it was lost). */
  checkpoint(): Promise<bigint | undefined>;
  close(): Promise<void>;
}
