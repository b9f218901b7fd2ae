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

export function decrypt(key: Buffer, aad: string, sealed: string): string {
  const bytes = Buffer.from(sealed, "base64");
  if (bytes.length < 28) throw new SealBroken("too short to be sealed");
  try {
    const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(-16));
    return Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString("utf8");
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
export function openFieldsText(key: Buffer, aad: string, sealed: unknown, allowed: readonly string[]): string {
  const names = sealedNames(sealed, allowed);
  const plaintext = decrypt(key, aad, sealedCiphertext(sealed as string));
  sealedContents(names, plaintext);
  return plaintext;
}

/** Where a sealed value belongs, bound into its ciphertext: the event's stream and type. */
export const eventAad = (stream: string, type: string) => `${stream}\0${type}`;

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
