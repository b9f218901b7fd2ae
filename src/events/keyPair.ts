import { encryptedValueSchema, type CryptoValue } from "../crypto/cryptoValue.js";
import { defineEvent } from "./schema.js";

/** Every OIDC signing key pair of the instance, in the order they were added: the newest signs. */
export const SIGNING_KEY_STREAM = "key_pair-oidc";

/**
 * ZITADEL's key_pair.added, for signing keys only. The private key must be usable to sign, so a
 * hash will not do: it is AES-256-GCM encrypted (ZITADEL's CryptoValue) under a key-encryption key
 * kept beside the log (`$DATA_DIR/oidc.key`), never in it. The public key is public.
 */
export interface KeyPairAdded {
  readonly keyId: string;
  readonly usage: "sig";
  readonly algorithm: "RS256";
  /** PEM (SPKI). */
  readonly publicKey: string;
  /** The PKCS#8 PEM, encrypted. */
  readonly privateKey: CryptoValue;
}
export const keyPairAdded = defineEvent<KeyPairAdded>({
  type: "key_pair.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      keyId: { type: "string", minLength: 1 },
      usage: { type: "string", const: "sig" },
      algorithm: { type: "string", const: "RS256" },
      publicKey: { type: "string", pattern: "^-----BEGIN PUBLIC KEY-----" },
      privateKey: encryptedValueSchema,
    },
    required: ["keyId", "usage", "algorithm", "publicKey", "privateKey"],
    additionalProperties: false,
  } as never,
});

export type KeyPairEvent = { readonly type: "key_pair.added"; readonly data: KeyPairAdded };

export const keyPairEvents = [keyPairAdded];
