import { setTimeout as sleep } from "node:timers/promises";
import type { RecordedEvent } from "../../events/envelope.js";
import type { EventStore, Subscription } from "../../events/eventStore.js";
import type { Logger } from "../../logger.js";
import { deliverOnce } from "./deliver.js";
import type { DeliveryState } from "./deliveryState.js";
import type { EgressPolicy } from "./egress.js";
import type { TargetLease } from "./redisDelivery.js";

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

export interface TargetWorkerOptions {
  readonly target: WebhookTarget;
  readonly signingKey: string;
  readonly wanted: (type: string) => boolean;
  readonly store: EventStore;
  readonly state: DeliveryState;
  readonly egress: EgressPolicy;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** With instances sharing the work: who delivers to this target. Without: this process does. */
  readonly lease: { readonly lease: TargetLease; readonly leaseMs: number } | undefined;
  readonly observer?: DeliveryObserver;
}

/** Told of every delivery attempt and dead letter (the metrics). */
export interface DeliveryObserver {
  attempt(outcome: "delivered" | "failed"): void;
  deadLetter(): void;
}

const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

/**
 * Delivers to one target: follows the log from the target's checkpoint and posts the events it
 * wants one at a time, in log order (so in order per aggregate), retrying each with exponential
 * backoff until it is accepted or, after `maxAttempts`, recorded as a dead letter. The checkpoint
 * moves only after an event is settled, so a restart or a take-over re-sends at most the event in
 * flight: at-least-once, no gaps. With a lease, only while it holds the lease.
 */
export function startTargetWorker({ target, signingKey, wanted, store, state, egress, retry, logger, lease, observer }: TargetWorkerOptions) {
  const stopping = new AbortController();
  let holding = false;
  const backoff = (attempt: number) => Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

  // False when the settlement was not written: the lease is no longer ours.
  async function settle(read: RecordedEvent, holder: string | undefined, signal: AbortSignal): Promise<boolean> {
    let event = read;
    for (let attempt = 1; ; attempt++) {
      // A retry reads the event again: the user may have been erased since, and its values must not go out after that.
      if (attempt > 1) event = await reread(event);
      const failed = await deliverOnce({ endpoint: target.endpoint, signingKey, event, timeoutMs: retry.timeoutMs, egress, signal });
      observer?.attempt(failed === undefined ? "delivered" : "failed");
      if (failed === undefined) return state.saveCheckpoint(target.id, event.position, holder);
      if (attempt >= retry.maxAttempts) {
        observer?.deadLetter();
        const { failure, cause } = failed;
        logger.warn("webhook dead letter", { targetId: target.id, position: event.position.toString(), eventType: event.type, attempts: attempt, error: failure, cause });
        const letter = { targetId: target.id, position: event.position, eventId: event.id, eventType: event.type, attempts: attempt, lastError: failure, failedAt: new Date().toISOString() };
        return state.deadLetter(letter, holder);
      }
      await sleep(backoff(attempt), undefined, { signal });
    }
  }

  async function reread(event: RecordedEvent): Promise<RecordedEvent> {
    for await (const recorded of store.readAll({ from: event.position - 1n, maxCount: 1 })) return recorded;
    return event;
  }

  // Until `signal` aborts (stop, or the lease lost), or a write finds the lease gone.
  async function deliver(signal: AbortSignal, holder?: string): Promise<void> {
    for (let failures = 0; !signal.aborted; failures++) {
      let subscription: Subscription | undefined;
      const close = () => void subscription?.close();
      signal.addEventListener("abort", close);
      try {
        subscription = store.subscribe({ from: (await state.checkpoint(target.id)) ?? target.addedAt });
        let savedAt = Date.now();
        for await (const event of subscription) {
          if (wanted(event.type)) {
            if (!(await settle(event, holder, signal))) return;
          } else if (Date.now() - savedAt >= 1000) {
            if (!(await state.saveCheckpoint(target.id, event.position, holder))) return;
          } else continue;
          savedAt = Date.now();
          failures = 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        logger.error("webhook worker failed; restarting from its checkpoint", { targetId: target.id, error: String(error) });
        await pause(Math.min(5000, 100 * 2 ** failures), signal);
      } finally {
        signal.removeEventListener("abort", close);
        await subscription?.close();
      }
    }
  }

  async function compete({ lease: targetLease, leaseMs }: { lease: TargetLease; leaseMs: number }): Promise<void> {
    const tickMs = Math.max(20, Math.floor(leaseMs / 3));
    while (!stopping.signal.aborted) {
      const askedAt = Date.now();
      if (await targetLease.acquire().catch(() => false)) {
        const held = keepLease(targetLease, leaseMs, tickMs, askedAt, stopping.signal);
        holding = true;
        try {
          await deliver(held.signal, targetLease.token);
        } finally {
          holding = false;
          await held.end();
          await targetLease.release().catch(() => {});
        }
      }
      await pause(tickMs, stopping.signal);
    }
  }

  const done = lease ? compete(lease) : deliver(stopping.signal);
  return {
    /** True while this process delivers to the target (always, without a lease). */
    delivering: () => (lease ? holding : !stopping.signal.aborted),
    async stop(): Promise<void> {
      stopping.abort();
      await done;
    },
  };
}

/**
 * Renews the lease in the background; its signal aborts once the lease is lost. The lease counts
 * as lost `leaseMs` after the last renewal was *sent*, never later than Redis lets it expire.
 */
function keepLease(lease: TargetLease, leaseMs: number, tickMs: number, acquiredAt: number, until: AbortSignal) {
  const lost = new AbortController();
  const ended = new AbortController();
  const signal = AbortSignal.any([lost.signal, ended.signal, until]);
  const done = (async () => {
    let renewedAt = acquiredAt;
    while (!signal.aborted) {
      await pause(tickMs, signal);
      if (signal.aborted) return;
      const askedAt = Date.now();
      // A renewal that hangs must not outlast the lease: past its end, the lease is lost whatever comes back.
      const late = sleep(Math.max(0, renewedAt + leaseMs - askedAt), "late" as const, { signal }).catch(() => "late" as const);
      try {
        const renewed = await Promise.race([lease.renew(), late]);
        if (renewed === true) renewedAt = askedAt;
        else if (renewed === false || renewed === "late") lost.abort();
      } catch {
        if (Date.now() - renewedAt >= leaseMs) lost.abort();
      }
    }
  })();
  return {
    signal,
    async end() {
      ended.abort();
      await done;
    },
  };
}
