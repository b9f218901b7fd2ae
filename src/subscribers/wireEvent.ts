import { aggregateOf } from "../audit/aggregate.js";
import { redactPayload } from "../audit/redact.js";
import { StatusError } from "../errors.js";
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

/** The most patterns one stream or target may name, and the longest pattern and most `*`s in one. */
export const TYPE_PATTERN_LIMITS = { patterns: 30, length: 128, wildcards: 4 } as const;

// Dot-separated segments of letters, digits, `_`, `-` and `*`, as event types are (`user.human.added`).
const PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/;

/**
 * Event type patterns as subscribers name them: `user.*,org.added`. A `*` matches any run of
 * characters, dots included; no patterns match every type. Matching is linear in the pattern and
 * the type (no backtracking), and a pattern outside the grammar or the limits is refused with
 * InvalidArgument before anything is matched or stored.
 */
export function typeMatcher(patterns: readonly string[]): (type: string) => boolean {
  const wanted = patterns.map((p) => p.trim()).filter(Boolean);
  if (wanted.length > TYPE_PATTERN_LIMITS.patterns) throw invalidPattern(`at most ${TYPE_PATTERN_LIMITS.patterns} event type patterns are allowed`);
  if (wanted.length === 0) return () => true;
  const globs = wanted.map(compileGlob);
  return (type) => globs.some((glob) => glob(type));
}

function compileGlob(pattern: string): (type: string) => boolean {
  if (pattern.length > TYPE_PATTERN_LIMITS.length) throw invalidPattern(`an event type pattern may be at most ${TYPE_PATTERN_LIMITS.length} characters long`);
  if (!PATTERN.test(pattern)) throw invalidPattern("an event type pattern is dot-separated segments of letters, digits, '_', '-' and '*'");
  const [first = "", ...rest] = pattern.split("*");
  if (rest.length > TYPE_PATTERN_LIMITS.wildcards) throw invalidPattern(`an event type pattern may hold at most ${TYPE_PATTERN_LIMITS.wildcards} '*'`);
  if (rest.length === 0) return (type) => type === pattern;
  const last = rest.pop() ?? "";
  // Between a fixed prefix and suffix, each middle part is taken at its first occurrence: taking
  // it later can only leave less room for the parts after it, so no choice is ever revisited.
  return (type) => {
    if (type.length < first.length + last.length || !type.startsWith(first) || !type.endsWith(last)) return false;
    const end = type.length - last.length;
    let at = first.length;
    for (const part of rest) {
      const found = type.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

const invalidPattern = (reason: string) => new StatusError("InvalidArgument", reason);
