import type { Redis } from "ioredis";

/**
 * SUBSCRIBEs to `channel` once the connection is ready, and resolves then. ioredis writes a SUBSCRIBE
 * issued during its handshake (connected, ready check not yet answered) at once: the connection
 * turns subscriber, the ready check's INFO is refused, ioredis reconnects, and the channel is never
 * subscribed again, although the SUBSCRIBE itself succeeded (redis/ioredis#2037). Subscribed once
 * ready, a channel is subscribed again by ioredis after every reconnect.
 */
export function subscribeWhenReady(subscriber: Redis, channel: string): Promise<void> {
  const subscribe = () => subscriber.subscribe(channel).then(() => {});
  if (subscriber.status === "ready") return subscribe();
  return new Promise((resolve, reject) => subscriber.once("ready", () => subscribe().then(resolve, reject)));
}
