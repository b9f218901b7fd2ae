import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export type Script = (redis: Redis, args: readonly (string | number)[]) => Promise<unknown>;

/** A Lua script run by its hash, loaded again when the server lost it (restart, SCRIPT FLUSH). */
function script(source: string): Script {
  const sha = createHash("sha1").update(source).digest("hex");
  return async (redis, args) => {
    try {
      return await redis.evalsha(sha, 0, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      return redis.eval(source, 0, ...args);
    }
  };
}

// ARGV[1] base, ARGV[2] generation ('' = the active one). Sets `g` to the generation's key prefix.
const resolveGeneration = `
local base, gen = ARGV[1], ARGV[2]
if gen == '' then gen = redis.call('GET', base .. ':active') end
if not gen then return nil end
local g = base .. ':g:' .. gen .. ':'
`;

/** ARGV: base, generation, collection, id -> the document's JSON or nil. */
export const getDocument = script(`${resolveGeneration}
return redis.call('GET', g .. 'd:' .. ARGV[3] .. ':' .. ARGV[4])`);

/** ARGV: base, generation, collection, index, value -> ids. */
export const findIds = script(`${resolveGeneration}
return redis.call('SMEMBERS', g .. 'i:' .. ARGV[3] .. ':' .. ARGV[4] .. ':' .. ARGV[5])`);

/** ARGV: base, '' -> `<active generation>@<its checkpoint>`, read together, or nil. */
export const readVersion = script(`${resolveGeneration}
local cp = redis.call('GET', g .. 'cp')
if not cp then return nil end
return gen .. '@' .. cp`);

/** ARGV: base, generation -> the checkpoint or nil. */
export const readCheckpoint = script(`${resolveGeneration}
return redis.call('GET', g .. 'cp')`);

/**
 * One projection batch, atomically: the writes and the new checkpoint, or nothing.
 * ARGV: base, generation ('' = the active one, created as ARGV[3] when there is none),
 * a new generation name, the checkpoint this writer last saw ('' = none), the new checkpoint,
 * the number of writes, then per write: op, collection, id and, for a put, the document's JSON,
 * the number of index entries and their names and values; for a putx (a document without index
 * entries that expires), the document's JSON and its expiry in ms since the epoch.
 * Refuses with CHECKPOINT_MOVED when the checkpoint is not the one the writer saw: another
 * projector committed in between (or the data was lost), so nothing is applied twice.
 */
export const commitBatch = script(`
local base, gen = ARGV[1], ARGV[2]
local activeKey = base .. ':active'
local active = redis.call('GET', activeKey)
if gen == '' then
  gen = active
  if not gen then
    gen = ARGV[3]
    redis.call('SET', activeKey, gen)
    active = gen
  end
end
local g = base .. ':g:' .. gen .. ':'
local current = redis.call('GET', g .. 'cp') or ''
if current ~= ARGV[4] then return redis.error_reply('CHECKPOINT_MOVED ' .. current) end
local i = 7
for _ = 1, tonumber(ARGV[6]) do
  local op, collection, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local entriesKey = g .. 'x:' .. collection .. ':' .. id
  local old = redis.call('HGETALL', entriesKey)
  for k = 1, #old, 2 do
    redis.call('SREM', g .. 'i:' .. collection .. ':' .. old[k] .. ':' .. old[k + 1], id)
  end
  redis.call('DEL', entriesKey)
  if op == 'putx' then
    redis.call('SET', g .. 'd:' .. collection .. ':' .. id, ARGV[i], 'PXAT', ARGV[i + 1])
    i = i + 2
  elseif op == 'put' then
    redis.call('SET', g .. 'd:' .. collection .. ':' .. id, ARGV[i])
    local count = tonumber(ARGV[i + 1])
    i = i + 2
    for _ = 1, count do
      local index, value = ARGV[i], ARGV[i + 1]
      i = i + 2
      redis.call('HSET', entriesKey, index, value)
      redis.call('SADD', g .. 'i:' .. collection .. ':' .. index .. ':' .. value, id)
    end
  else
    redis.call('DEL', g .. 'd:' .. collection .. ':' .. id)
  end
end
redis.call('SET', g .. 'cp', ARGV[5])
if active == gen then redis.call('PUBLISH', base .. ':committed', ARGV[5]) end
return 'OK'`);

// Decimal strings of any length compared as numbers.
const atLeast = `
local function atLeast(a, b)
  if #a ~= #b then return #a > #b end
  return a >= b
end`;

/**
 * Points readers at a rebuilt generation, if the active one is still `expected` ('' = none) and
 * the new one has caught up with it, so that no reader ever sees the projection go back.
 * ARGV: base, expected, new generation -> 1 when switched, 0 when not (yet).
 */
export const switchGeneration = script(`${atLeast}
local base, expected, gen = ARGV[1], ARGV[2], ARGV[3]
local activeKey = base .. ':active'
local active = redis.call('GET', activeKey) or ''
if active ~= expected then return 0 end
local checkpoint = redis.call('GET', base .. ':g:' .. gen .. ':cp') or ''
if checkpoint == '' then return 0 end
if active ~= '' and not atLeast(checkpoint, redis.call('GET', base .. ':g:' .. active .. ':cp') or '') then return 0 end
redis.call('SET', activeKey, gen)
redis.call('PUBLISH', base .. ':committed', checkpoint)
return 1`);

/** ARGV: key, token, ttl ms -> 1 when the lease is still ours and was extended. */
export const renewLease = script(`
if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', ARGV[1], ARGV[3])
return 1`);

/** ARGV: key, token -> 1 when our lease was given up. */
export const releaseLease = script(`
if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', ARGV[1])
return 1`);
