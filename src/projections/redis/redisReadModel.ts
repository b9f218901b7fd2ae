import type { Redis } from "ioredis";
import type { Doc, ReadModel, Write } from "../readModel.js";
import { translated } from "./connection.js";
import { newGeneration, type RedisKeys } from "./keys.js";
import { commitBatch, findIds, getDocument, readCheckpoint } from "./scripts.js";

export interface RedisReadModelOptions {
  readonly redis: Redis;
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
export function createRedisReadModel({ redis, keys, generation = "" }: RedisReadModelOptions): ReadModel {
  const where = [keys.base, generation] as const;
  // The checkpoint this writer last read or wrote; '' when there was none.
  let seen = "";

  return {
    async get<T extends Doc>(collection: string, id: string) {
      const json = (await translated(() => getDocument(redis, [...where, collection, id]))) as string | null;
      return json === null ? undefined : (JSON.parse(json) as T);
    },
    async find(collection, index, value) {
      const ids = (await translated(() => findIds(redis, [...where, collection, index, value]))) as string[] | null;
      return (ids ?? []).sort();
    },
    async commit(writes, checkpoint) {
      const next = checkpoint.toString();
      try {
        await translated(() => commitBatch(redis, [...where, newGeneration(), seen, next, writes.length, ...writes.flatMap(encode)]));
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

function encode(write: Write): (string | number)[] {
  if (write.op === "delete") return ["delete", write.collection, write.id];
  const entries = Object.entries(write.indexes ?? {});
  return ["put", write.collection, write.id, JSON.stringify(write.doc), entries.length, ...entries.flat()];
}
