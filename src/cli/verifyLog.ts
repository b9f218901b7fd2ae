import type { RecordedEvent } from "../events/envelope.js";
import { upcast } from "../events/registry.js";
import { appendWeight, MAX_APPEND_BYTES } from "./appendSize.js";
import { claims } from "./importLog.js";
import { createReplay } from "./replay.js";

export interface VerifyReport {
  readonly events: number;
  readonly streams: number;
  /** The first problems found (at most `maxProblems`); empty when the log is well-formed. */
  readonly problems: readonly string[];
  readonly problemCount: number;
}

const maxProblems = 20;

/**
 * Checks that a log is well-formed: ids unique, positions strictly increasing, each stream's
 * revisions contiguous from 0, every payload valid under its type's schema (after upcasting),
 * metadata complete, every event small enough for an append of its own (`MAX_APPEND_BYTES`), no
 * unique value (userName, org name, domain) claimed twice; and that the service can apply it: each well-formed event is replayed
 * through its aggregate's `evolve` and the reducers (`createReplay`), so that an event a command
 * could not load or the projector would park is a problem here.
 */
export async function verifyLog(events: AsyncIterable<RecordedEvent>, onEvent: () => void = () => {}): Promise<VerifyReport> {
  const ids = new Set<string>();
  const nextRevision = new Map<string, number>();
  const problems: string[] = [];
  const replay = createReplay();
  // `${namespace}\0${value}` -> the stream that claimed it first
  const claimed = new Map<string, string>();
  let problemCount = 0;
  let count = 0;
  let lastPosition = -1n;
  let problemsBefore = 0;
  const problem = (event: RecordedEvent, text: string) => {
    if (problemCount++ < maxProblems) problems.push(`position ${event.position} ${event.type} (${event.stream}@${event.revision}, ${event.id}): ${text}`);
  };

  for await (const event of events) {
    count++;
    onEvent();
    problemsBefore = problemCount;
    if (ids.has(event.id)) problem(event, "duplicate event id");
    ids.add(event.id);
    if (event.position <= lastPosition) problem(event, `position not after ${lastPosition}`);
    lastPosition = event.position;
    const expected = nextRevision.get(event.stream) ?? 0;
    if (event.revision !== expected) problem(event, `revision ${event.revision}, expected ${expected}`);
    nextRevision.set(event.stream, event.revision + 1);
    const { metadata } = event;
    if (typeof metadata.resourceOwner !== "string" || typeof metadata.editorUser !== "string" || Number.isNaN(Date.parse(metadata.createdAt))) {
      problem(event, "metadata lacks resourceOwner, editorUser or a valid createdAt");
    }
    let current: RecordedEvent;
    try {
      current = upcast(event);
    } catch (error) {
      problem(event, (error as Error).message);
      continue;
    }
    // Sizes and claims are read from a payload known to be valid.
    const eventClaims = claims(event);
    const weight = appendWeight(event, eventClaims, 0);
    if (weight > MAX_APPEND_BYTES) problem(event, `${weight} bytes of data, metadata and type, more than the ${MAX_APPEND_BYTES} an append may hold`);
    for (const { action, name, value } of eventClaims) {
      const key = `${name}\0${value}`;
      const holder = claimed.get(key);
      if (action === "remove") claimed.delete(key);
      else if (holder !== undefined) problem(event, `${name} value "${value}" is claimed already by ${holder}`);
      else claimed.set(key, event.stream);
    }
    // Replayed only when well-formed: one problem per event, the first one found.
    if (problemCount > problemsBefore) continue;
    const refused = await replay.apply(current);
    if (refused) problem(event, refused);
  }
  return { events: count, streams: nextRevision.size, problems, problemCount };
}
