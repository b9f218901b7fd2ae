import { join } from "node:path";
import type { Encryption } from "../../crypto/encryption.js";
import type { EventStore } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import { connectRedis } from "../../projections/redis/connection.js";
import type { Queries } from "../../queries/queries.js";
import { startDispatcher } from "./dispatcher.js";
import { egressPolicy, type AllowedNetwork } from "./egress.js";
import { redisDelivery } from "./redisDelivery.js";
import { webhookRouter } from "./routes.js";
import { openSqliteDeliveryState } from "./sqliteDeliveryState.js";
import type { DeliveryObserver, RetryPolicy } from "./worker.js";

export const DELIVERY_STATE_FILE = "webhooks.sqlite";

export interface WebhooksOptions {
  /** The log as commands append to it. */
  readonly store: EventStore;
  /** The log as delivery follows it: its subscriptions see every process's appends (see the read side). */
  readonly follower: EventStore;
  readonly queries: Queries;
  /** Holds the delivery state when there is no Redis. */
  readonly dataDir: string;
  /** Encrypts the signing keys in the log. */
  readonly encryption: Encryption;
  readonly instanceId: string;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly retry: Pick<RetryPolicy, "maxAttempts" | "backoffMs">;
  /** Networks webhooks may reach although they are not public (loopback, private ranges...). */
  readonly allowedNetworks: readonly AllowedNetwork[];
  readonly maxTargets: number;
  /** With Redis, instances share the work: a lease per target, and the delivery state in Redis. */
  readonly redis: { readonly url: string; readonly leaseMs: number } | undefined;
  readonly observer?: DeliveryObserver;
}

/** Webhook delivery and its API, started with the service. */
export async function startWebhooks({ store, follower, queries, dataDir, encryption, instanceId, newId, logger, retry: configured, allowedNetworks, maxTargets, redis, observer }: WebhooksOptions) {
  const egress = egressPolicy(allowedNetworks);
  const retry: RetryPolicy = { ...configured, maxBackoffMs: 60_000, timeoutMs: 10_000 };
  const shared = redis && sharedDelivery(redis);
  const state = shared?.coordination.state ?? openSqliteDeliveryState(join(dataDir, DELIVERY_STATE_FILE));
  const leases = shared && { lease: shared.coordination.lease, leaseMs: redis.leaseMs };
  const dispatcher = startDispatcher({ store: follower, state, encryption, egress, retry, logger, leases, ...(observer ? { observer } : {}) });
  return {
    router: webhookRouter({ store, queries, dispatcher, state, encryption, egress, retry, instanceId, newId, maxTargets }),
    /** Events in the log after the checkpoints of the targets this instance delivers to. */
    async backlog(): Promise<number> {
      const head = await store.headPosition();
      let behind = 0n;
      for (const status of dispatcher.targets()) {
        if (status.state !== "delivering") continue;
        const checkpoint = (await state.checkpoint(status.target.id)) ?? status.target.addedAt;
        if (head > checkpoint) behind += head - checkpoint;
      }
      return Number(behind);
    },
    async close(): Promise<void> {
      await dispatcher.stop();
      await state.close();
      shared?.close();
    },
  };
}

function sharedDelivery({ url, leaseMs }: NonNullable<WebhooksOptions["redis"]>) {
  const connection = connectRedis(url);
  return {
    coordination: redisDelivery(connection, leaseMs),
    close: () => connection.disconnect(),
  };
}
