import type { RecordedEvent } from "../events/envelope.js";
import { newEventId } from "../events/eventIds.js";
import { UniqueConstraintViolation, WrongExpectedRevision } from "../events/errors.js";
import type { EventStore } from "../events/eventStore.js";
import { currentSchemaVersion } from "../events/registry.js";
import type { Decider, DomainEvent, Evolving } from "./decider.js";
import { KeyedMutex } from "./keyedMutex.js";
import { takenError } from "./uniqueConstraints.js";

/** Who acts, for whom, and when: stamped into every event's metadata. */
export interface CommandContext {
  readonly instanceId: string;
  readonly editorUser: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly now: () => Date;
  /**
   * The stream's name holds an id made for this command (a grant's session): the first attempt
   * decides on the initial state without reading it. The append still expects no stream, so a
   * stream that exists after all is a conflict, and the retry reads it.
   */
  readonly newStream?: boolean;
}

export interface CommandResult<State> {
  readonly state: State;
  /** The events this command appended. */
  readonly appended: readonly RecordedEvent[];
  /** The stream's first event (for `details.creationDate`). */
  readonly first: RecordedEvent;
}

const MAX_ATTEMPTS = 20;
const streamLocks = new KeyedMutex();

/**
 * The shared load -> decide -> append loop. `resourceOwner` names the org every new event belongs to;
 * `authorize` sees the state read and refuses (throws) before anything is decided; `beforeAppend`
 * runs once the command is authorized and decided, right before its events are appended (on every
 * attempt that gets there), and may refuse too.
 * A revision conflict (another process wrote in between) retries the whole loop, a bounded number of times.
 */
export function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  stream: string,
  command: Command,
  resourceOwner: (state: State) => string,
  context: CommandContext,
  authorize?: (state: State) => Promise<void>,
  beforeAppend?: () => Promise<void>,
): Promise<CommandResult<State>> {
  return streamLocks.run(stream, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce(attempt === 1 && context.newStream === true);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= MAX_ATTEMPTS) throw error;
        await backoff(attempt);
      }
    }
  });

  async function attemptOnce(assumeNew: boolean): Promise<CommandResult<State>> {
    // 1. aggregate the stream
    const history = assumeNew ? [] : await store.readStream(stream);
    let state = history.reduce((s, e) => decider.evolve(s, e as unknown as Evolving<Event>), decider.initialState());

    // 2. authorize against that state, then decide (each throws a DomainError when refused)
    await authorize?.(state);
    const decision = decider.decide(command, state);

    // A decision with nothing to record appends nothing (a cascade with nothing left to remove).
    const existing = history[0];
    if (decision.events.length === 0 && existing) return { state, appended: [], first: existing };

    // 3. stamp the envelope
    const createdAt = context.now().toISOString();
    const owner = resourceOwner(state);
    const events = decision.events.map((event) => ({
      id: newEventId(),
      type: event.type,
      data: event.data,
      metadata: {
        resourceOwner: owner,
        instanceId: context.instanceId,
        editorUser: context.editorUser,
        createdAt,
        correlationId: context.correlationId,
        causationId: context.causationId ?? context.correlationId,
        schemaVersion: currentSchemaVersion(event.type),
      },
    }));

    // 4. append with the revision we read
    await beforeAppend?.();
    const last = history.at(-1);
    const { events: appended } = await store
      .append(stream, events, { expectedRevision: last ? last.revision : "no_stream", uniqueConstraints: decision.uniqueConstraints ?? [] })
      .catch((error: unknown) => {
        throw error instanceof UniqueConstraintViolation ? takenError(error.constraint) : error;
      });
    state = appended.reduce((s, e) => decider.evolve(s, e as unknown as Evolving<Event>), state);
    const first = history[0] ?? appended[0];
    if (!first) throw new Error(`command on ${stream} appended nothing to a new stream`);
    return { state, appended, first };
  }
}

const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
