/**
 * ZITADEL's crypto.CryptoValue as its events carry it: Go's field names (the struct has no JSON
 * tags) and `Crypted` as base64 (Go's encoding of a byte slice). `CryptoType` 0 is an encrypted
 * value; 1 a hash, which ZITADEL has deprecated and idledger only reads in events written before
 * it encrypted initialization codes.
 */
export interface CryptoValue {
  readonly CryptoType: 0 | 1;
  readonly Algorithm: string;
  /** Which key: for idledger's keys the first 8 hex digits of the key's SHA-256; empty for a hash. */
  readonly KeyID: string;
  readonly Crypted: string;
}

export const cryptoValueSchema = {
  type: "object",
  properties: {
    CryptoType: { type: "integer", enum: [0, 1] },
    Algorithm: { type: "string", minLength: 1 },
    KeyID: { type: "string" },
    Crypted: { type: "string", minLength: 1, pattern: "^[A-Za-z0-9+/]*={0,2}$" },
  },
  required: ["CryptoType", "Algorithm", "KeyID", "Crypted"],
  additionalProperties: false,
} as const;

/** The same, for values idledger must be able to decrypt: AES-256-GCM only. */
export const encryptedValueSchema = {
  ...cryptoValueSchema,
  properties: {
    ...cryptoValueSchema.properties,
    CryptoType: { type: "integer", const: 0 },
    Algorithm: { type: "string", const: "aes-256-gcm" },
    KeyID: { type: "string", minLength: 1 },
  },
} as const;
