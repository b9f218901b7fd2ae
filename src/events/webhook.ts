import { defineEvent, encryptedValueSchema } from "./schema.js";

export const webhookStream = (targetId: string) => `webhook-${targetId}`;

/**
 * ZITADEL's crypto.CryptoValue for an encrypted value (cryptoType 0): the webhook signing key,
 * AES-256-GCM under a key that lives outside the log (`$DATA_DIR/webhooks.key`), because the
 * key must be usable to sign, so a hash will not do, and events are forever.
 */
export interface EncryptedValue {
  readonly cryptoType: 0;
  readonly algorithm: "aes-256-gcm";
  /** Which key-encryption key; the first 8 hex digits of its SHA-256. */
  readonly keyId: string;
  /** base64 of iv (12 bytes) + ciphertext + tag (16 bytes). */
  readonly crypted: string;
}

export interface WebhookTargetAdded {
  readonly name: string;
  readonly endpoint: string;
  /** Event type patterns (`user.*`); empty: every event. */
  readonly eventTypes: string[];
  readonly signingKey: EncryptedValue;
}
export const webhookTargetAdded = defineEvent<WebhookTargetAdded>({
  type: "webhook.target.added",
  schemaVersion: 1,
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
});

export interface WebhookTargetRemoved {}
export const webhookTargetRemoved = defineEvent<WebhookTargetRemoved>({
  type: "webhook.target.removed",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

export const webhookEvents = [webhookTargetAdded, webhookTargetRemoved];
