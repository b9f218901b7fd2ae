import type { EventMetadata } from "../events/envelope.js";
import type { UniqueConstraint } from "../events/eventStore.js";

export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** A domain event as evolve sees it: with the metadata the log recorded. */
export type Evolving<Event extends DomainEvent> = Event & { readonly metadata: EventMetadata };

export interface Decision<Event extends DomainEvent> {
  readonly events: readonly Event[];
  readonly uniqueConstraints?: readonly UniqueConstraint[];
}

/** Emmett's decider: pure, no clock and no I/O (time and ids arrive in the command). */
export interface Decider<State, Command, Event extends DomainEvent> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Evolving<Event>) => State;
  /** Throws a DomainError when the command is refused. */
  readonly decide: (command: Command, state: State) => Decision<Event>;
}
