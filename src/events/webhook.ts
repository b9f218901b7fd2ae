import { encryptedValueSchema, type CryptoValue } from "../crypto/cryptoValue.js";
import { defineEvent } from "./schema.js";

export const webhookStream = (targetId: string) => `webhook-${targetId}`;

export interface WebhookTargetAdded {
  readonly name: string;
  readonly endpoint: string;
  /** Event type patterns (`user.*`); empty: every event. */
  readonly eventTypes: string[];
  /**
   * Encrypted (AES-256-GCM, src/crypto) under a key that lives outside the log (`WEBHOOKS_KEY_FILE`):
   * the key must be usable to sign, so a hash will not do, and events are forever.
   */
  readonly signingKey: CryptoValue;
}
export const webhookTargetAdded = defineEvent<WebhookTargetAdded>({
  type: "webhook.target.added",
  schemaVersion: 2,
  schema: {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      endpoint: { type: "string", minLength: 1 },
      eventTypes: { type: "array", items: { type: "string", minLength: 1 } },
      signingKey: encryptedValueSchema,
    },
    required: ["name", "endpoint", "eventTypes", "signingKey"],
    additionalProperties: false,
  } as never,
  // Version 1 spelled ZITADEL's CryptoValue in camelCase: `{cryptoType, algorithm, keyId, crypted}`.
  upcast: (data) => {
    const { signingKey: key, ...target } = data as { signingKey: { cryptoType: 0; algorithm: string; keyId: string; crypted: string } };
    return { ...target, signingKey: { CryptoType: key.cryptoType, Algorithm: key.algorithm, KeyID: key.keyId, Crypted: key.crypted } };
  },
});

export interface WebhookTargetRemoved {}
export const webhookTargetRemoved = defineEvent<WebhookTargetRemoved>({
  type: "webhook.target.removed",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

export const webhookEvents = [webhookTargetAdded, webhookTargetRemoved];
