/** The default key prefix; its `rm1` is the version of this key layout. */
export const DEFAULT_KEY_PREFIX = "idledger:rm1";

/**
 * Where the Redis read model keeps what. Documents live in generations (`<base>:g:<gen>:`); the
 * `active` key names the generation readers use, so a rebuild fills a new one and switches
 * readers over in one write. Inside a generation:
 * `cp` the checkpoint, `d:<collection>:<id>` a document (JSON), `x:<collection>:<id>` its index
 * entries (hash), `i:<collection>:<index>:<value>` the ids found under a value (set).
 */
export function redisKeys(base: string) {
  return {
    base,
    active: `${base}:active`,
    lease: `${base}:lease`,
    rebuildRequest: `${base}:rebuild`,
    /** Publishes the active generation's checkpoint after each commit and switch. */
    committedChannel: `${base}:committed`,
    /** Publishes the log's head after appends, to wake projectors in other processes. */
    appendedChannel: `${base}:appended`,
    generation: (generation: string) => `${base}:g:${generation}:`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** A fresh generation name: sortable by creation, safe inside a SCAN pattern. */
export const newGeneration = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
