import type { JSONSchemaType } from "ajv";

/** An event type's payload contract: its current schema version and JSON Schema. */
export interface EventDefinition<Data> {
  readonly type: string;
  readonly schemaVersion: number;
  readonly schema: JSONSchemaType<Data>;
  /** Lifts a payload written under an older schema version to the current one. */
  readonly upcast?: (data: unknown, fromVersion: number) => unknown;
}

export const defineEvent = <Data>(definition: EventDefinition<Data>): EventDefinition<Data> => definition;

/** ZITADEL's crypto.CryptoValue; idledger only ever stores hashes in it (cryptoType 1). */
export interface HashedValue {
  readonly cryptoType: 1;
  readonly algorithm: "sha256" | "scrypt";
  readonly crypted: string;
}

export const hashedValueSchema = {
  type: "object",
  properties: {
    cryptoType: { type: "integer", const: 1 },
    algorithm: { type: "string", enum: ["sha256", "scrypt"] },
    crypted: { type: "string", minLength: 1 },
  },
  required: ["cryptoType", "algorithm", "crypted"],
  additionalProperties: false,
} as const;

/** ZITADEL's crypto.CryptoValue for an encrypted value (cryptoType 0): see EncryptedValue. */
export const encryptedValueSchema = {
  type: "object",
  properties: {
    cryptoType: { type: "integer", const: 0 },
    algorithm: { type: "string", const: "aes-256-gcm" },
    keyId: { type: "string", minLength: 1 },
    crypted: { type: "string", minLength: 1 },
  },
  required: ["cryptoType", "algorithm", "keyId", "crypted"],
  additionalProperties: false,
} as const;
