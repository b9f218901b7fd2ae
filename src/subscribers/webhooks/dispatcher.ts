import { setTimeout as sleep } from "node:timers/promises";
import { DecryptionFailed, type Encryption } from "../../crypto/encryption.js";
import type { RecordedEvent } from "../../events/envelope.js";
import type { EventStore, Subscription } from "../../events/eventStore.js";
import type { WebhookTargetAdded } from "../../events/webhook.js";
import type { Logger } from "../../logger.js";
import { typeMatcher } from "../wireEvent.js";
import type { DeliveryState } from "./deliveryState.js";
import type { EgressPolicy } from "./egress.js";
import type { TargetLease } from "./redisDelivery.js";
import { startTargetWorker, type DeliveryObserver, type RetryPolicy, type WebhookTarget } from "./worker.js";

export interface DispatcherOptions {
  /** The log as delivery follows it: its subscriptions must see every process's appends. */
  readonly store: EventStore;
  readonly state: DeliveryState;
  readonly encryption: Encryption;
  readonly egress: EgressPolicy;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** With instances sharing the work: a lease per target, so that one of them delivers to it. */
  readonly leases: { lease(targetId: string): TargetLease; readonly leaseMs: number } | undefined;
  readonly observer?: DeliveryObserver;
}

/** Delivering: this process posts to it. Standby: another instance holds its lease. Failing: this process cannot deliver to it. */
export type TargetStatus =
  | { readonly target: WebhookTarget; readonly state: "delivering" | "standby"; readonly signingKey: string }
  | { readonly target: WebhookTarget; readonly state: "failing"; readonly failure: string };

type Entry =
  | { readonly target: WebhookTarget; readonly signingKey: string; readonly worker: ReturnType<typeof startTargetWorker> }
  | { readonly target: WebhookTarget; readonly failure: string };

const targetIdOf = (event: RecordedEvent) => event.stream.slice("webhook-".length);

// What an admin reads about a target nobody here can deliver to; never a key or a stack.
function whyFailing(error: unknown): string {
  if (error instanceof DecryptionFailed) return `its signing key does not decrypt with this instance's WEBHOOKS_KEY_FILE (${error.message})`;
  return `its stored definition is refused: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Webhook targets are events in the log: the dispatcher follows it for them and runs one worker
 * per target. A target that cannot be delivered to (its key does not decrypt here, its stored
 * patterns are refused by this version) is reported as failing and left alone; the others go
 * on, and the registry follows the log again from where it was when its subscription fails.
 */
export function startDispatcher({ store, state, encryption, egress, retry, logger, leases, observer }: DispatcherOptions) {
  const targets = new Map<string, Entry>();
  const stopping = new AbortController();
  let seen = 0n;
  const waiters = new Set<{ position: bigint; resolve: () => void }>();

  function add(event: RecordedEvent) {
    const data = event.data as WebhookTargetAdded;
    const id = targetIdOf(event);
    // Applied once, even should the registry see the event again after a failure.
    if (targets.has(id)) return;
    const target: WebhookTarget = { id, name: data.name, endpoint: data.endpoint, eventTypes: data.eventTypes, addedAt: event.position };
    try {
      const wanted = typeMatcher(target.eventTypes);
      const signingKey = encryption.decrypt(data.signingKey);
      const lease = leases && { lease: leases.lease(id), leaseMs: leases.leaseMs };
      targets.set(id, { target, signingKey, worker: startTargetWorker({ target, signingKey, wanted, store, state, egress, retry, logger, lease, ...(observer ? { observer } : {}) }) });
    } catch (error) {
      const failure = whyFailing(error);
      logger.error("webhook target cannot be delivered to; the other targets go on", { targetId: id, failure });
      targets.set(id, { target, failure });
    }
  }

  async function apply(event: RecordedEvent) {
    if (event.type === "webhook.target.added") add(event);
    else if (event.type === "webhook.target.removed") {
      const id = targetIdOf(event);
      const entry = targets.get(id);
      targets.delete(id);
      if (entry && "worker" in entry) await entry.worker.stop();
    }
  }

  let registry: Subscription | undefined;
  const following = (async () => {
    for (let failures = 0; !stopping.signal.aborted; failures++) {
      try {
        registry = store.subscribe({ from: seen });
        for await (const event of registry) {
          if (event.type.startsWith("webhook.target.")) await apply(event);
          seen = event.position;
          failures = 0;
          for (const waiter of waiters) if (waiter.position <= seen) (waiters.delete(waiter), waiter.resolve());
        }
      } catch (error) {
        if (stopping.signal.aborted) return;
        logger.error("webhook registry lost the log; following it again from where it was", { position: seen.toString(), error: String(error) });
        await sleep(Math.min(5000, 100 * 2 ** failures), undefined, { signal: stopping.signal }).catch(() => {});
      } finally {
        await registry?.close();
      }
    }
  })();

  const status = (entry: Entry): TargetStatus =>
    "worker" in entry
      ? { target: entry.target, state: entry.worker.delivering() ? "delivering" : "standby", signingKey: entry.signingKey }
      : { target: entry.target, state: "failing", failure: entry.failure };

  return {
    /** Resolves once every target added up to `position` is known (read-your-writes for the API). */
    caughtUp(position: bigint, timeoutMs = 2000): Promise<void> {
      if (position <= seen) return Promise.resolve();
      return new Promise((resolve) => {
        const waiter = { position, resolve };
        waiters.add(waiter);
        setTimeout(() => waiters.delete(waiter) && resolve(), timeoutMs).unref();
      });
    },
    targets: () => [...targets.values()].map(status),
    target: (id: string): TargetStatus | undefined => {
      const entry = targets.get(id);
      return entry && status(entry);
    },
    async stop(): Promise<void> {
      stopping.abort();
      await registry?.close();
      await following;
      await Promise.all([...targets.values()].map((entry) => ("worker" in entry ? entry.worker.stop() : undefined)));
      targets.clear();
      for (const waiter of waiters) waiter.resolve();
    },
  };
}

export type Dispatcher = ReturnType<typeof startDispatcher>;
