import type { EventMetadata } from "../events/envelope.js";
import { EventNotApplicable } from "../events/errors.js";
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

/**
 * Emmett's decider: pure, no clock and no I/O (time and ids arrive in the command). `evolve`
 * throws EventNotApplicable for an event that does not fit the state (see `applicableTo`).
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Evolving<Event>) => State;
  /** Throws a DomainError when the command is refused. */
  readonly decide: (command: Command, state: State) => Decision<Event>;
}

type Kinded = { readonly kind: string };

/**
 * The state an event applies to, narrowed to the kinds it may follow; any other kind (`absent`: the
 * aggregate does not exist yet) throws EventNotApplicable. Each case of an `evolve` starts with it:
 * `case "user.machine.changed": { const machine = applicableTo(state, event, "machine"); ... }`.
 */
export function applicableTo<State extends Kinded, Kind extends State["kind"]>(
  state: State,
  event: { readonly type: string },
  ...kinds: readonly Kind[]
): Extract<State, { readonly kind: Kind }> {
  if ((kinds as readonly string[]).includes(state.kind)) return state as Extract<State, { readonly kind: Kind }>;
  throw new EventNotApplicable(event.type, `the aggregate is ${state.kind}; it applies to ${kinds.join(" or ")}`);
}

/** The `default` of an `evolve` switch: exhaustive for the compiler, and at run time another aggregate's event is refused. */
export function foreignEvent(event: never): never {
  throw new EventNotApplicable((event as { readonly type: string }).type, "not an event of this aggregate");
}
