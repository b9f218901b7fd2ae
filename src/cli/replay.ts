import { foreignEvent, type Decider, type DomainEvent } from "../commands/decider.js";
import { instanceDecider } from "../commands/instance/decider.js";
import { orgDecider } from "../commands/org/decider.js";
import { userDecider } from "../commands/user/decider.js";
import type { RecordedEvent } from "../events/envelope.js";
import { INSTANCE_STREAM } from "../events/instance.js";
import { SIGNING_KEY_STREAM } from "../events/keyPair.js";
import { oidcSessionStream } from "../events/oidcSession.js";
import { createMemoryReadModel } from "../projections/memory/memoryReadModel.js";
import { describeRefusal } from "../projections/failedEvents.js";
import { reducers } from "../projections/reducers/index.js";
import { sessionDecider } from "../oauth/session.js";
import { targetDecider } from "../subscribers/webhooks/targetDecider.js";

type AnyDecider = Decider<unknown, unknown, DomainEvent>;

/** A stream that no command folds (signing keys are appended as they are made): only these types belong in it. */
const appendOnly = (...types: readonly string[]): AnyDecider => ({
  initialState: () => undefined,
  evolve: (state, event) => (types.includes(event.type) ? state : foreignEvent(event as never)),
  decide: () => {
    throw new Error("an append-only stream takes no commands");
  },
});

// Which aggregate's decider folds a stream, by the stream's name.
const aggregates: readonly { readonly owns: (stream: string) => boolean; readonly decider: AnyDecider }[] = [
  { owns: (stream) => stream.startsWith("user-"), decider: userDecider as unknown as AnyDecider },
  { owns: (stream) => stream.startsWith("org-"), decider: orgDecider as unknown as AnyDecider },
  { owns: (stream) => stream === INSTANCE_STREAM, decider: instanceDecider as unknown as AnyDecider },
  { owns: (stream) => stream.startsWith("webhook-"), decider: targetDecider as unknown as AnyDecider },
  { owns: (stream) => stream.startsWith(oidcSessionStream("")), decider: sessionDecider as unknown as AnyDecider },
  { owns: (stream) => stream === SIGNING_KEY_STREAM, decider: appendOnly("key_pair.added") },
];

export interface Replay {
  /** Applies the next event of the log; why it cannot be applied, or undefined. A refused event changes nothing. */
  apply(event: RecordedEvent): Promise<string | undefined>;
}

/**
 * What the service would do with a log, without a service: each stream folded through its
 * aggregate's `evolve` (as a command loads it), each event through the reducers into a scratch
 * in-memory read model (as the projector applies it). An event either refuses is one the service
 * could not live with: a command on its stream would fail, the projector would park it. Holds one
 * aggregate state per stream and the whole projection in memory, as the embedded service does.
 */
export function createReplay(): Replay {
  const states = new Map<string, unknown>();
  const readModel = createMemoryReadModel();
  return {
    async apply(event) {
      const aggregate = aggregates.find(({ owns }) => owns(event.stream));
      if (!aggregate) return `stream ${event.stream} belongs to no aggregate`;
      const { decider } = aggregate;
      try {
        const state = decider.evolve(states.has(event.stream) ? states.get(event.stream) : decider.initialState(), event as never);
        const writes = (await reducers[event.type]?.(event, readModel)) ?? [];
        states.set(event.stream, state);
        await readModel.commit(writes, event.position);
        return undefined;
      } catch (error) {
        return describeRefusal(error);
      }
    },
  };
}
