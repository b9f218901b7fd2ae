import type { RecordedEvent } from "../events/envelope.js";

/** zitadel.v1.ObjectDetails, straight from event metadata. */
export interface ObjectDetails {
  /** Revision + 1 of the aggregate's last event. */
  readonly sequence: number;
  /** createdAt of the aggregate's first event. */
  readonly creationDate: string;
  /** createdAt of the aggregate's last event. */
  readonly changeDate: string;
  readonly resourceOwner: string;
}

export function detailsOf(first: RecordedEvent, last: RecordedEvent): ObjectDetails {
  return {
    sequence: last.revision + 1,
    creationDate: first.metadata.createdAt,
    changeDate: last.metadata.createdAt,
    resourceOwner: last.metadata.resourceOwner,
  };
}
