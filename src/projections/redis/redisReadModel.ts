import type { Redis } from "ioredis";
import { assertExpiryAlone, type Doc, type ReadModel, type Write } from "../readModel.js";
import { translated } from "./connection.js";
import { newGeneration, type RedisKeys } from "./keys.js";
import { commitBatch, findIds, getDocument, readCheckpoint } from "./scripts.js";

/** How documents and index values are stored in Redis when they are not stored as they are (personal data: src/privacy/readModelCipher.ts). */
export interface DocumentCipher {
  seal(collection: string, id: string, doc: Doc): Promise<Doc>;
  open(collection: string, id: string, doc: Doc): Promise<Doc>;
  indexValue(collection: string, index: string, value: string): Promise<string>;
}

const asIs: DocumentCipher = { seal: async (_c, _i, doc) => doc, open: async (_c, _i, doc) => doc, indexValue: async (_c, _i, value) => value };

export interface RedisReadModelOptions {
  readonly redis: Redis;
  readonly cipher?: DocumentCipher;
  readonly keys: RedisKeys;
  /** The generation a projector fills; omitted: the active one, as readers see it. */
  readonly generation?: string;
}

/** Another writer committed since this one last read the checkpoint: start over from it. */
export class CheckpointMoved extends Error {
  override readonly name = "CheckpointMoved";
}

/**
 * The Redis read model. Every read and every commit is one Lua script, so a reader never sees half
 * a batch, and a commit lands only on the checkpoint its writer last saw (compare-and-set): two
 * projectors racing can never apply an event twice. The connection belongs to the caller.
 */
export function createRedisReadModel({ redis, keys, generation = "", cipher = asIs }: RedisReadModelOptions): ReadModel {
  const where = [keys.base, generation] as const;
  // The checkpoint this writer last read or wrote; '' when there was none.
  let seen = "";

  return {
    async get<T extends Doc>(collection: string, id: string) {
      const json = (await translated(() => getDocument(redis, [...where, collection, id]))) as string | null;
      return json === null ? undefined : ((await cipher.open(collection, id, JSON.parse(json) as Doc)) as T);
    },
    async find(collection, index, value) {
      const stored = await cipher.indexValue(collection, index, value);
      const ids = (await translated(() => findIds(redis, [...where, collection, index, stored]))) as string[] | null;
      return (ids ?? []).sort();
    },
    async commit(writes, checkpoint) {
      const next = checkpoint.toString();
      assertExpiryAlone(writes);
      const encoded: (string | number)[] = [];
      for (const write of writes) encoded.push(...(await encode(write, cipher)));
      try {
        await translated(() => commitBatch(redis, [...where, newGeneration(), seen, next, writes.length, ...encoded]));
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("CHECKPOINT_MOVED")) {
          throw new CheckpointMoved(`read model checkpoint is ${error.message.slice(17) || "gone"}, this writer saw ${seen || "none"}`);
        }
        throw error;
      }
      seen = next;
    },
    async checkpoint() {
      const checkpoint = (await translated(() => readCheckpoint(redis, where))) as string | null;
      seen = checkpoint ?? "";
      return checkpoint === null ? undefined : BigInt(checkpoint);
    },
    async close() {},
  };
}

async function encode(write: Write, cipher: DocumentCipher): Promise<(string | number)[]> {
  if (write.op === "delete") return ["delete", write.collection, write.id];
  const doc = JSON.stringify(await cipher.seal(write.collection, write.id, write.doc));
  // Redis expires the key itself (PXAT); one whose time has passed is deleted by the SET.
  if (write.expiresAt !== undefined) return ["putx", write.collection, write.id, doc, Math.floor(write.expiresAt)];
  const entries = await Promise.all(Object.entries(write.indexes ?? {}).map(async ([index, value]) => [index, await cipher.indexValue(write.collection, index, value)]));
  return ["put", write.collection, write.id, doc, entries.length, ...entries.flat()];
}
