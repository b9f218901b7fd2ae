import type { RecordedEvent } from "../events/envelope.js";
import { upcast } from "../events/registry.js";
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
 * metadata complete; and that the service can apply it: each well-formed event is replayed
 * through its aggregate's `evolve` and the reducers (`createReplay`), so that an event a command
 * could not load or the projector would park is a problem here.
 */
export async function verifyLog(events: AsyncIterable<RecordedEvent>, onEvent: () => void = () => {}): Promise<VerifyReport> {
  const ids = new Set<string>();
  const nextRevision = new Map<string, number>();
  const problems: string[] = [];
  const replay = createReplay();
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
    // Replayed only when well-formed: one problem per event, the first one found.
    if (problemCount > problemsBefore) continue;
    const refused = await replay.apply(current);
    if (refused) problem(event, refused);
  }
  return { events: count, streams: nextRevision.size, problems, problemCount };
}
