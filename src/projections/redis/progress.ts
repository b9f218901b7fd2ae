import type { Redis } from "ioredis";
import { subscribeWhenReady } from "./subscribe.js";

export interface ProjectionProgress {
  /** Resolves true once the read model readers use reflects `position`, false after `timeoutMs`. */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Waits on the checkpoint in Redis, whichever process projects: woken by the `committed`
 * notification the commit script publishes, and checking by itself every `pollMs` in case a
 * notification was lost (a reconnect). Throws when Redis cannot be asked (the request answers 503).
 */
export function watchCheckpoint({
  subscriber,
  channel,
  checkpoint,
  pollMs = 100,
}: {
  readonly subscriber: Redis;
  readonly channel: string;
  readonly checkpoint: () => Promise<bigint | undefined>;
  readonly pollMs?: number;
}): ProjectionProgress {
  const waiters = new Set<{ readonly position: bigint; readonly resolve: (reached: boolean) => void }>();
  let poller: NodeJS.Timeout | undefined;

  const reached = (position: bigint) => {
    for (const waiter of waiters) {
      if (waiter.position > position) continue;
      waiters.delete(waiter);
      waiter.resolve(true);
    }
    if (waiters.size === 0) stopPolling();
  };
  const stopPolling = () => {
    clearInterval(poller);
    poller = undefined;
  };
  const onMessage = (from: string, message: string) => {
    if (from === channel) reached(BigInt(message));
  };
  subscriber.on("message", onMessage);
  // Once connected: a Redis that is down at start delays the notifications, not the start.
  subscribeWhenReady(subscriber, channel).catch(() => {});

  const poll = () =>
    checkpoint().then(
      (position) => position !== undefined && reached(position),
      () => {},
    );

  return {
    async waitFor(position, timeoutMs) {
      const current = await checkpoint();
      if (current !== undefined && current >= position) return true;
      if (timeoutMs <= 0) return false;
      return new Promise((resolve) => {
        const waiter = { position, resolve };
        waiters.add(waiter);
        poller ??= setInterval(poll, pollMs).unref();
        setTimeout(() => {
          if (waiters.delete(waiter)) resolve(false);
        }, timeoutMs).unref();
      });
    },
    async close() {
      subscriber.off("message", onMessage);
      stopPolling();
      for (const waiter of waiters) waiter.resolve(false);
      waiters.clear();
    },
  };
}
