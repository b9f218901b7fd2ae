import type { EventStore } from "../events/eventStore.js";
import { countParked } from "../projections/failedEvents.js";
import { startProjector } from "../projections/projector.js";
import type { ReadModel } from "../projections/readModel.js";
import { reducers } from "../projections/reducers/index.js";

export interface RebuildReport {
  readonly position: bigint;
  /** Events the reducers refused: parked in `readModel`, as the service parks them. */
  readonly parked: number;
}

/**
 * Replays the whole log through every reducer into `readModel` (which should be empty) and
 * reports the position reached. An event a reducer refuses is parked at once (a replay is
 * deterministic: trying again changes nothing); any other failure ends the rebuild.
 */
export async function rebuildProjections(store: EventStore, readModel: ReadModel, onPosition: (position: bigint) => void = () => {}): Promise<RebuildReport> {
  const head = await store.headPosition();
  let failure: unknown;
  const projector = startProjector({ store, readModel, reducers, maxAttempts: 1, onError: (error) => (failure ??= error) });
  try {
    // Polls on a timer that holds the process open: the projector's own waits do not.
    while (projector.position() < head) {
      if (failure !== undefined) throw failure;
      onPosition(projector.position());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    onPosition(projector.position());
    return { position: projector.position(), parked: await countParked(readModel) };
  } finally {
    await projector.stop();
  }
}
