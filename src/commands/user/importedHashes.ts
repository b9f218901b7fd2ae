import { scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { argon2Verify, bcryptVerify } from "hash-wasm";
import { fail } from "../../errors.js";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * Password hashes ImportHumanUser takes from another system, in the encodings ZITADEL's passwap
 * reads (its own default is bcrypt): bcrypt (`$2a$`, `$2b$`, `$2y$`), argon2i and argon2id (PHC
 * strings) and scrypt (passlib's `$scrypt$ln=…,r=…,p=…$salt$hash`). Their cost parameters are the
 * client's and every later check pays them, so each is bounded.
 */
interface Encoding {
  readonly pattern: RegExp;
  readonly bounded: (match: RegExpExecArray) => boolean;
  readonly verify: (password: string, encoded: string, match: RegExpExecArray) => Promise<boolean>;
}

const base64 = "[A-Za-z0-9+/]";
const scryptMemory = (match: RegExpExecArray) => 128 * 2 ** Number(match[1]) * Number(match[2]);
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

const encodings: readonly Encoding[] = [
  {
    pattern: /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/,
    bounded: (match) => Number(match[1]) >= 4 && Number(match[1]) <= 15,
    verify: (password, hash) => bcryptVerify({ password, hash }),
  },
  {
    pattern: new RegExp(`^\\$argon2(?:i|id)\\$v=19\\$m=(\\d{1,6}),t=(\\d{1,2}),p=(\\d{1,2})\\$${base64}{11,64}\\$${base64}{22,86}$`),
    bounded: (match) => {
      const [memoryKiB, time, parallelism] = [Number(match[1]), Number(match[2]), Number(match[3])];
      return parallelism >= 1 && parallelism <= 16 && time >= 1 && time <= 10 && memoryKiB >= 8 * parallelism && memoryKiB * 1024 <= MAX_MEMORY_BYTES;
    },
    verify: (password, hash) => argon2Verify({ password, hash }),
  },
  {
    pattern: new RegExp(`^\\$scrypt\\$ln=(\\d{1,2}),r=(\\d{1,2}),p=(\\d{1,2})\\$(${base64}{11,64})\\$(${base64}{22,86})$`),
    bounded: (match) => Number(match[1]) >= 1 && Number(match[2]) >= 1 && Number(match[3]) >= 1 && Number(match[3]) <= 16 && scryptMemory(match) <= MAX_MEMORY_BYTES,
    async verify(password, _encoded, match) {
      const expected = Buffer.from(match[5]!, "base64");
      const key = await scryptAsync(password, Buffer.from(match[4]!, "base64"), expected.length, {
        N: 2 ** Number(match[1]),
        r: Number(match[2]),
        p: Number(match[3]),
        maxmem: 2 * scryptMemory(match),
      });
      return timingSafeEqual(key, expected);
    },
  },
];

function parse(encoded: string): { encoding: Encoding; match: RegExpExecArray } | undefined {
  for (const encoding of encodings) {
    const match = encoding.pattern.exec(encoded);
    if (match) return encoding.bounded(match) ? { encoding, match } : undefined;
  }
  return undefined;
}

/** Throws ZITADEL's USER-JDk4t unless the hash is in an accepted encoding, within its bounds. */
export function checkImportedHash(encoded: string): void {
  if (!parse(encoded)) fail("passwordHashNotSupported");
}

/** False for a wrong password and for anything that is not an accepted encoding. */
export async function verifyImportedHash(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  return parsed ? parsed.encoding.verify(password, encoded, parsed.match) : false;
}
