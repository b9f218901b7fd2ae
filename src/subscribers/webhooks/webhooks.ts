import { join } from "node:path";
import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import type { Queries } from "../../queries/queries.js";
import { openDeliveryState } from "./deliveryState.js";
import { startDispatcher, type RetryPolicy } from "./dispatcher.js";
import { webhookRouter } from "./routes.js";
import { keyEncryption, loadOrCreateKey } from "./signingKeys.js";

export const WEBHOOK_KEY_FILE = "webhooks.key";
export const DELIVERY_STATE_FILE = "webhooks.sqlite";

export interface WebhooksOptions {
  readonly store: EventStore;
  readonly queries: Queries;
  /** Holds the key-encryption key and the delivery state. */
  readonly dataDir: string;
  readonly instanceId: string;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly retry: Pick<RetryPolicy, "maxAttempts" | "backoffMs">;
}

/** Webhook delivery and its API, started with the service. */
export async function startWebhooks({ store, queries, dataDir, instanceId, newId, logger, retry: configured }: WebhooksOptions) {
  const encryption = keyEncryption(await loadOrCreateKey(join(dataDir, WEBHOOK_KEY_FILE)));
  const state = openDeliveryState(join(dataDir, DELIVERY_STATE_FILE));
  const retry: RetryPolicy = { ...configured, maxBackoffMs: 60_000, timeoutMs: 10_000 };
  const dispatcher = startDispatcher({ store, state, encryption, retry, logger });
  return {
    router: webhookRouter({ store, queries, dispatcher, state, encryption, retry, instanceId, newId }),
    async close(): Promise<void> {
      await dispatcher.stop();
      state.close();
    },
  };
}
