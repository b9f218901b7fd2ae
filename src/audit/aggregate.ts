import type { RecordedEvent } from "../events/envelope.js";
import { INSTANCE_STREAM } from "../events/instance.js";

/** ZITADEL's aggregate of an event: its type (`user`, `org`, `instance`) and id, from the stream name. */
export interface Aggregate {
  readonly type: string;
  readonly id: string;
}

export function aggregateOf(event: RecordedEvent): Aggregate {
  if (event.stream === INSTANCE_STREAM) return { type: "instance", id: event.metadata.instanceId };
  const dash = event.stream.indexOf("-");
  return dash < 0 ? { type: event.stream, id: event.stream } : { type: event.stream.slice(0, dash), id: event.stream.slice(dash + 1) };
}

export const aggregateTypes = ["instance", "org", "user", "webhook", "oidc_session", "key_pair"] as const;
