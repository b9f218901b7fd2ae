import { randomBytes, randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;

/**
 * `size` bytes from the system's CSPRNG, base64url: the pool is filled 4 KB at a time (as Node's
 * randomUUID and nanoid do), one call into OpenSSL per 128 tokens of 32 bytes instead of one each.
 * Every byte is handed out once.
 */
export function createRandomPool(fill: (buffer: Buffer) => Buffer = randomFillSync) {
  let pool: Buffer = Buffer.alloc(0);
  let at = 0;
  return (size: number): string => {
    if (size > POOL_BYTES) return randomBytes(size).toString("base64url");
    if (at + size > pool.length) {
      pool = fill(Buffer.allocUnsafeSlow(POOL_BYTES));
      at = 0;
    }
    const text = pool.toString("base64url", at, at + size);
    at += size;
    return text;
  };
}

/** The process's pool: what opaque access tokens are made of. */
export const randomBase64url = createRandomPool();
