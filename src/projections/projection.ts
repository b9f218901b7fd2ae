import type { RecordedEvent } from "../events/envelope.js";
import type { Doc, Write } from "./readModel.js";

/** What a reducer may read: the read model as it stands after the earlier events of the batch. */
export interface ProjectionView {
  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined>;
  /** Ids whose `index` entry is `value`, sorted, as `ReadModel.find` answers after the batch's earlier writes. */
  find(collection: string, index: string, value: string): Promise<string[]>;
}

export type Reducer = (event: RecordedEvent, view: ProjectionView) => Promise<Write[]>;

/** Event type -> reducer. An event type no table names is skipped. */
export type ReducerTable = Readonly<Record<string, Reducer>>;
