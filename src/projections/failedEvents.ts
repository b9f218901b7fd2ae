import type { RecordedEvent } from "../events/envelope.js";
import type { ReadModel, Write } from "./readModel.js";
import { collections, type FailedEventView } from "./views.js";

// Every parked event is found under this one index value.
const index = { state: "parked" } as const;

/** The write that parks `event`: committed with its batch, so it lands exactly when the event is skipped. */
export function parkedEvent(event: RecordedEvent, error: unknown, attempts: number, now: Date): Write {
  const doc: FailedEventView = {
    position: event.position.toString(),
    eventId: event.id,
    type: event.type,
    stream: event.stream,
    revision: event.revision,
    error: describeRefusal(error),
    attempts,
    failedAt: now.toISOString(),
  };
  return { op: "put", collection: collections.failedEvents, id: doc.position, doc, indexes: index };
}

export const describeRefusal = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** How many events the projection behind `readModel` parked. */
export async function countParked(readModel: ReadModel): Promise<number> {
  return (await readModel.find(collections.failedEvents, "state", index.state)).length;
}

/** The parked events, in log order. */
export async function listParked(readModel: ReadModel): Promise<FailedEventView[]> {
  const positions = (await readModel.find(collections.failedEvents, "state", index.state)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const parked = await Promise.all(positions.map((position) => readModel.get<FailedEventView>(collections.failedEvents, position)));
  return parked.filter((event): event is FailedEventView => event !== undefined);
}
