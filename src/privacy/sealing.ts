import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const ALGORITHM = "aes-256-gcm";
const VERSION = "v1";

/** A sealed value that does not open: another key, altered bytes, or not a sealed value at all. */
export class SealBroken extends Error {
  override readonly name = "SealBroken";
}

/** AES-256-GCM with a fresh 12-byte nonce; `aad` binds the ciphertext to where it belongs. Returns base64(nonce | ciphertext | tag). */
export function encrypt(key: Buffer, aad: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(aad));
  return Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]).toString("base64");
}

// A replay decrypts tens of thousands of values one after the other: each decrypt is synchronous
// and the decipher copies what it is given, so these are reused rather than a new Buffer made for
// every part of every value. They only ever hold what is sealed (nonce, ciphertext, tag).
const nonce = Buffer.alloc(12);
const tag = Buffer.alloc(16);
const ciphertexts = Buffer.allocUnsafeSlow(4096);

export function decrypt(key: Buffer, aad: string, sealed: string): string {
  // base64 is 3 bytes per 4 characters: a value that might not fit gets a buffer of its own.
  const most = Math.ceil(sealed.length / 4) * 3;
  const bytes = most <= ciphertexts.length ? ciphertexts : Buffer.allocUnsafe(most);
  const length = bytes.write(sealed, "base64");
  if (length < 28) throw new SealBroken("too short to be sealed");
  // By hand: Buffer#copy's checks cost more than copying 28 bytes.
  for (let i = 0; i < 12; i++) nonce[i] = bytes[i]!;
  for (let i = 0; i < 16; i++) tag[i] = bytes[length - 16 + i]!;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(bytes.subarray(12, length - 16));
    // GCM has nothing left to give at the end, final only checks the tag.
    const rest = decipher.final();
    return (rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest])).toString();
  } catch {
    throw new SealBroken("does not open under this key");
  }
}

/**
 * Several fields sealed as one value, `v1:<names>:<base64>`: one nonce and one cipher run per
 * event rather than per field. The names stay readable (which kinds of data changed is the
 * auditor's), the values do not.
 */
export function sealFields(key: Buffer, aad: string, fields: Readonly<Record<string, unknown>>): string {
  return `${VERSION}:${Object.keys(fields).join(",")}:${encrypt(key, aad, JSON.stringify(fields))}`;
}

/** The field names of a sealed value, readable without its key; only names in `allowed` are accepted. */
export function sealedNames(sealed: unknown, allowed: readonly string[]): string[] {
  if (typeof sealed !== "string") throw new SealBroken("not a sealed value");
  const [version, names = ""] = sealed.split(":", 2);
  const list = names.split(",");
  if (version !== VERSION || !list.every((name) => allowed.includes(name))) throw new SealBroken("not a sealed value of this event type");
  return list;
}

export function openFields(key: Buffer, aad: string, sealed: string, allowed: readonly string[]): Record<string, unknown> {
  return sealedContents(sealedNames(sealed, allowed), decrypt(key, aad, sealedCiphertext(sealed)));
}

/** The plaintext of a sealed value (the JSON text of its fields), checked as `openFields` checks it. */
export const openFieldsText = (key: Buffer, aad: string, sealed: unknown, allowed: readonly string[]): string => fieldsTextOpener()(key, aad, sealed, allowed);

/**
 * `openFieldsText` for the many values of a batch, one after the other. The names a value shows are
 * split and checked once per list of them (the events of a type mostly show the same one), and a
 * plaintext as `sealFields` writes it (an object of strings, numbers, booleans and nulls under
 * those names, no whitespace) is checked against a pattern of that grammar rather than parsed:
 * what the pattern takes is exactly one JSON object of those names. Any other plaintext is parsed
 * and checked as `openFields` checks it.
 */
export function fieldsTextOpener(): (key: Buffer, aad: string, sealed: unknown, allowed: readonly string[]) => string {
  const checked = new Map<readonly string[], Map<string, { readonly names: readonly string[]; readonly pattern: RegExp }>>();
  const namesOf = (sealed: unknown, allowed: readonly string[]) => {
    let ofType = checked.get(allowed);
    if (!ofType) checked.set(allowed, (ofType = new Map()));
    // The names as the value shows them, `<names>` of `v1:<names>:...`: what they are checked once under.
    const shown = typeof sealed === "string" && sealed.startsWith(`${VERSION}:`) ? shownNames(sealed) : undefined;
    let known = shown === undefined ? undefined : ofType.get(shown);
    if (!known) {
      const names = sealedNames(sealed, allowed);
      known = { names, pattern: fieldsPattern(names) };
      if (shown !== undefined) ofType.set(shown, known);
    }
    return known;
  };
  return (key, aad, sealed, allowed) => {
    const { names, pattern } = namesOf(sealed, allowed);
    const plaintext = decrypt(key, aad, sealedCiphertext(sealed as string));
    if (!pattern.test(plaintext)) sealedContents(names, plaintext);
    return plaintext;
  };
}

// JSON's grammar of a string (no control characters), a number, and a literal.
const JSON_STRING = String.raw`"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"`;
const JSON_NUMBER = String.raw`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
const JSON_SCALAR = `(?:${JSON_STRING}|${JSON_NUMBER}|true|false|null)`;

/** One JSON object, all of whose members are scalars under `names`, with nothing before or after it. */
function fieldsPattern(names: readonly string[]): RegExp {
  const member = `"(?:${names.map((name) => name.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")).join("|")})":${JSON_SCALAR}`;
  return new RegExp(`^\\{(?:${member}(?:,${member})*)?\\}$`);
}

/** Where a sealed value belongs, bound into its ciphertext: the event's stream and type. */
export const eventAad = (stream: string, type: string) => `${stream}\0${type}`;

const shownNames = (sealed: string) => {
  const end = sealed.indexOf(":", VERSION.length + 1);
  return sealed.slice(VERSION.length + 1, end < 0 ? sealed.length : end);
};

/** The encrypted part of a sealed value, what `decrypt` opens. */
const sealedCiphertext = (sealed: string) => sealed.slice(sealed.indexOf(":", 3) + 1);

/** The fields a sealed value's plaintext holds, which must be the names it shows. */
function sealedContents(names: readonly string[], plaintext: string): Record<string, unknown> {
  let fields: unknown;
  try {
    fields = JSON.parse(plaintext);
  } catch {
    throw new SealBroken("sealed contents are not fields");
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw new SealBroken("sealed contents are not fields");
  if (Object.keys(fields).some((name) => !names.includes(name))) throw new SealBroken("sealed names and contents differ");
  return fields as Record<string, unknown>;
}
