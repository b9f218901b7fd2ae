import { aggregateOf } from "../audit/aggregate.js";
import { redactPayload } from "../audit/redact.js";
import type { RecordedEvent } from "../events/envelope.js";

/**
 * An event as subscribers (the SSE stream and webhooks) receive it: the envelope, the position as
 * a decimal string (uint64, as protojson writes it), and the payload redacted.
 */
export const wireEvent = (event: RecordedEvent) => ({
  id: event.id,
  type: event.type,
  aggregate: aggregateOf(event),
  stream: event.stream,
  revision: event.revision,
  position: event.position.toString(),
  data: redactPayload(event.data),
  metadata: event.metadata,
});

/**
 * Event type patterns as subscribers name them: `user.*,org.added`. A `*` matches any run of
 * characters; no patterns match every type.
 */
export function typeMatcher(patterns: readonly string[]): (type: string) => boolean {
  const wanted = patterns.map((p) => p.trim()).filter(Boolean);
  if (wanted.length === 0) return () => true;
  const expressions = wanted.map((p) => new RegExp(`^${p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  return (type) => expressions.some((expression) => expression.test(type));
}
