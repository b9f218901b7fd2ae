import { randomUUID } from "node:crypto";
import type { RecordedEvent } from "../../../src/events/envelope.js";
import { createEsdbEventStore, type EsdbEventStoreOptions } from "../../../src/events/esdb/esdbEventStore.js";
import { RESERVED } from "../../../src/events/esdb/reservations.js";
import type { UniqueConstraint } from "../../../src/events/eventStore.js";
import { FakeEsdbClient, type FakeServerOptions } from "./fakeClient.js";

/** The adapter on a fake server, with pages small enough to turn. */
export function setup(options: Partial<Omit<EsdbEventStoreOptions, "client">> = {}, server: FakeServerOptions = {}) {
  const client = new FakeEsdbClient(server);
  const store = createEsdbEventStore({ client, pageSize: 3, appendDeadlineMs: 1000, abandonAfterMs: 60_000, ...options });
  return { client, store };
}

export function unique(label: string): UniqueConstraint {
  return { action: "add", name: "usernames", value: `${label}-${randomUUID()}` };
}

export const removal = (constraint: UniqueConstraint): UniqueConstraint => ({ ...constraint, action: "remove" });

/** A reservation event as a taker writes it. */
export function reserved(data: { owner: string; eventId: string; reservedAt: string }) {
  return { id: randomUUID(), contentType: "application/json" as const, type: RESERVED, data, metadata: {} };
}

/** Reads `count` events (or, without a count, until the iterable ends), then closes a subscription. */
export async function collect(events: AsyncIterable<RecordedEvent> & { close?: () => Promise<void> }, count?: number): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      if (seen.length === count) break;
    }
  } finally {
    await events.close?.();
  }
  return seen;
}

/** Lets queued callbacks (the fake's subscriptions start in a microtask) run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
