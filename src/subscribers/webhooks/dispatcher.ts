import { setTimeout as sleep } from "node:timers/promises";
import type { RecordedEvent } from "../../events/envelope.js";
import type { EventStore } from "../../events/eventStore.js";
import type { WebhookTargetAdded } from "../../events/webhook.js";
import type { Logger } from "../../logger.js";
import { typeMatcher } from "../wireEvent.js";
import { deliverOnce } from "./deliver.js";
import type { DeliveryState } from "./deliveryState.js";
import type { EgressPolicy } from "./egress.js";
import type { Encryption } from "../../crypto/encryption.js";

export interface WebhookTarget {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly eventTypes: readonly string[];
  /** Position of the target's `webhook.target.added`: it receives the events after it. */
  readonly addedAt: bigint;
}

export interface RetryPolicy {
  /** Attempts per event before it becomes a dead letter. */
  readonly maxAttempts: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffMs`, jittered by up to -50%. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
}

export interface DispatcherOptions {
  readonly store: EventStore;
  readonly state: DeliveryState;
  readonly encryption: Encryption;
  readonly egress: EgressPolicy;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

const targetIdOf = (event: RecordedEvent) => event.stream.slice("webhook-".length);

/**
 * Delivers events to webhook targets: one worker per target follows the log from the target's
 * checkpoint and posts the events it wants one at a time, in log order (so in order per
 * aggregate), retrying each with exponential backoff until it is accepted or, after
 * `maxAttempts`, recorded as a dead letter. The checkpoint moves only after an event is settled,
 * so a restart re-sends at most the event in flight: at-least-once, no gaps.
 */
export function startDispatcher({ store, state, encryption, egress, retry, logger }: DispatcherOptions) {
  const targets = new Map<string, { target: WebhookTarget; signingKey: string; stop: () => Promise<void> }>();
  const stopping = new AbortController();
  let seen = 0n;
  const waiters = new Set<{ position: bigint; resolve: () => void }>();

  const backoff = (attempt: number) => Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

  async function deliverWithRetry(target: WebhookTarget, signingKey: string, event: RecordedEvent, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const failed = await deliverOnce({ endpoint: target.endpoint, signingKey, event, timeoutMs: retry.timeoutMs, egress, signal });
      if (failed === undefined) return;
      if (attempt >= retry.maxAttempts) {
        const { failure, cause } = failed;
        logger.warn("webhook dead letter", { targetId: target.id, position: event.position.toString(), eventType: event.type, attempts: attempt, error: failure, cause });
        state.deadLetter({ targetId: target.id, position: event.position, eventId: event.id, eventType: event.type, attempts: attempt, lastError: failure, failedAt: new Date().toISOString() });
        return;
      }
      await sleep(backoff(attempt), undefined, { signal });
    }
  }

  function startWorker(target: WebhookTarget, signingKey: string): () => Promise<void> {
    const worker = new AbortController();
    const signal = AbortSignal.any([worker.signal, stopping.signal]);
    const wanted = typeMatcher(target.eventTypes);
    let subscription: ReturnType<EventStore["subscribe"]> | undefined;
    const run = async () => {
      for (let failures = 0; !signal.aborted; failures++) {
        try {
          subscription = store.subscribe({ from: state.checkpoint(target.id) ?? target.addedAt });
          let savedAt = Date.now();
          for await (const event of subscription) {
            if (wanted(event.type)) await deliverWithRetry(target, signingKey, event, signal);
            else if (Date.now() - savedAt < 1000) continue;
            state.saveCheckpoint(target.id, event.position);
            savedAt = Date.now();
            failures = 0;
          }
        } catch (error) {
          if (signal.aborted) return;
          logger.error("webhook worker failed; restarting from its checkpoint", { targetId: target.id, error: String(error) });
          await sleep(Math.min(5000, 100 * 2 ** failures), undefined, { signal }).catch(() => undefined);
        } finally {
          await subscription?.close();
        }
      }
    };
    const done = run();
    return async () => {
      worker.abort();
      await subscription?.close();
      await done;
    };
  }

  async function apply(event: RecordedEvent) {
    const id = targetIdOf(event);
    if (event.type === "webhook.target.added") {
      const data = event.data as WebhookTargetAdded;
      const target: WebhookTarget = { id, name: data.name, endpoint: data.endpoint, eventTypes: data.eventTypes, addedAt: event.position };
      const signingKey = encryption.decrypt(data.signingKey);
      targets.set(id, { target, signingKey, stop: startWorker(target, signingKey) });
    } else if (event.type === "webhook.target.removed") {
      const entry = targets.get(id);
      targets.delete(id);
      await entry?.stop();
    }
  }

  // Targets are events in the log: follow it for them.
  const registry = store.subscribe({ from: 0n });
  const following = (async () => {
    try {
      for await (const event of registry) {
        if (event.type.startsWith("webhook.target.")) await apply(event);
        seen = event.position;
        for (const waiter of waiters) if (waiter.position <= seen) (waiters.delete(waiter), waiter.resolve());
      }
    } catch (error) {
      if (!stopping.signal.aborted) logger.error("webhook registry stopped following the log", { error: String(error) });
    }
  })();

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
    targets: () => [...targets.values()].map(({ target }) => target),
    target: (id: string) => targets.get(id),
    async stop(): Promise<void> {
      stopping.abort();
      await registry.close();
      await following;
      await Promise.all([...targets.values()].map(({ stop }) => stop()));
      targets.clear();
      for (const waiter of waiters) waiter.resolve();
    },
  };
}

export type Dispatcher = ReturnType<typeof startDispatcher>;
