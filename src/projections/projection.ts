import type { RecordedEvent } from "../events/envelope.js";
import { EventNotApplicable } from "../events/errors.js";
import type { Doc, Write } from "./readModel.js";

/** What a reducer may read: the read model as it stands after the earlier events of the batch. */
export interface ProjectionView {
  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined>;
  /** Ids whose `index` entry is `value`, sorted, as `ReadModel.find` answers after the batch's earlier writes. */
  find(collection: string, index: string, value: string): Promise<string[]>;
}

/** Throws EventNotApplicable (see `refuse`) for an event that does not fit what it finds. */
export type Reducer = (event: RecordedEvent, view: ProjectionView) => Promise<Write[]>;

/** What a reducer throws for an event that does not fit the read model: the projector parks that event. */
export function refuse(event: RecordedEvent, reason: string): never {
  throw new EventNotApplicable(event.type, reason);
}

/** Event type -> reducer. An event type no table names is skipped. */
export type ReducerTable = Readonly<Record<string, Reducer>>;
