import { join } from "node:path";
import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import type { Queries } from "../../queries/queries.js";
import { openDeliveryState } from "./deliveryState.js";
import { startDispatcher, type RetryPolicy } from "./dispatcher.js";
import { egressPolicy, type AllowedNetwork } from "./egress.js";
import { webhookRouter } from "./routes.js";
import type { Encryption } from "../../crypto/encryption.js";

export const DELIVERY_STATE_FILE = "webhooks.sqlite";

export interface WebhooksOptions {
  readonly store: EventStore;
  readonly queries: Queries;
  /** Holds the delivery state. */
  readonly dataDir: string;
  /** Encrypts the signing keys in the log. */
  readonly encryption: Encryption;
  readonly instanceId: string;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly retry: Pick<RetryPolicy, "maxAttempts" | "backoffMs">;
  /** Networks webhooks may reach although they are not public (loopback, private ranges...). */
  readonly allowedNetworks: readonly AllowedNetwork[];
}

/** Webhook delivery and its API, started with the service. */
export async function startWebhooks({ store, queries, dataDir, encryption, instanceId, newId, logger, retry: configured, allowedNetworks }: WebhooksOptions) {
  const egress = egressPolicy(allowedNetworks);
  const state = openDeliveryState(join(dataDir, DELIVERY_STATE_FILE));
  const retry: RetryPolicy = { ...configured, maxBackoffMs: 60_000, timeoutMs: 10_000 };
  const dispatcher = startDispatcher({ store, state, encryption, egress, retry, logger });
  return {
    router: webhookRouter({ store, queries, dispatcher, state, encryption, egress, retry, instanceId, newId }),
    async close(): Promise<void> {
      await dispatcher.stop();
      state.close();
    },
  };
}
