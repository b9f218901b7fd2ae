import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const ID_RANDOM_BYTES = 10;

/**
 * Event ids: RFC 9562 UUIDv7, 48 bits of Unix milliseconds and then 74 random bits (version and
 * variant as the RFC sets them). Ids made later sort later, so the log's unique index on `id`
 * grows at its end; a random (v4) id lands on a random page of that index, and every commit then
 * wrote one more index page per event: on the token endpoint that was about 30 us of the writer's
 * CPU per grant. Any UUID is a valid id (EventStoreDB's included); imports keep the ids they bring.
 * The random bits come from a 4 KB pool of the CSPRNG, each byte used once.
 */
export function createEventIds(now: () => number = Date.now, fill: (buffer: Buffer) => Buffer = randomFillSync): () => string {
  let pool = "";
  let at = 0;
  return () => {
    if (at + 2 * ID_RANDOM_BYTES > pool.length) {
      pool = fill(Buffer.allocUnsafeSlow(POOL_BYTES)).toString("hex");
      at = 0;
    }
    const random = pool.slice(at, at + 2 * ID_RANDOM_BYTES);
    at += 2 * ID_RANDOM_BYTES;
    const time = now().toString(16).padStart(12, "0");
    // The variant's two bits (10) over the first random nibble of the fourth group.
    const variant = ((Number.parseInt(random[3]!, 16) & 0x3) | 0x8).toString(16);
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(7, 19)}`;
  };
}

/** The process's event ids. */
export const newEventId = createEventIds();
