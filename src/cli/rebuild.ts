import type { EventStore } from "../events/eventStore.js";
import { startProjector } from "../projections/projector.js";
import type { ReadModel } from "../projections/readModel.js";
import { reducers } from "../projections/reducers/index.js";

/**
 * Replays the whole log through every reducer into `readModel` (which should be empty) and
 * returns the position reached. Fails on the first event a reducer cannot apply.
 */
export async function rebuildProjections(store: EventStore, readModel: ReadModel, onPosition: (position: bigint) => void = () => {}): Promise<bigint> {
  const head = await store.headPosition();
  let failure: unknown;
  const projector = startProjector({ store, readModel, reducers, onError: (error) => (failure ??= error) });
  try {
    // Polls on a timer that holds the process open: the projector's own waits do not.
    while (projector.position() < head) {
      if (failure !== undefined) throw failure;
      onPosition(projector.position());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    onPosition(projector.position());
    return projector.position();
  } finally {
    await projector.stop();
  }
}
