import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { NewEvent, RecordedEvent } from "./envelope.js";
import { InvalidEvent } from "./errors.js";
import { instanceEvents } from "./instance.js";
import { keyPairEvents } from "./keyPair.js";
import { oidcSessionEvents } from "./oidcSession.js";
import { orgEvents } from "./org.js";
import type { EventDefinition } from "./schema.js";
import { userEvents } from "./user.js";
import { webhookEvents } from "./webhook.js";

interface Entry {
  readonly definition: EventDefinition<unknown>;
  readonly validate: ValidateFunction;
}

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats.default(ajv, ["date-time"]);

const entries = new Map<string, Entry>(
  ([...userEvents, ...orgEvents, ...instanceEvents, ...webhookEvents, ...oidcSessionEvents, ...keyPairEvents] as EventDefinition<unknown>[]).map((definition) => [
    definition.type,
    { definition, validate: ajv.compile(definition.schema) },
  ]),
);

/** Every event type idledger writes, with its current schema version. */
export const eventTypes = (): { type: string; schemaVersion: number }[] =>
  [...entries.values()].map(({ definition }) => ({ type: definition.type, schemaVersion: definition.schemaVersion }));

export const currentSchemaVersion = (type: string): number => entryFor(type).definition.schemaVersion;

/** Throws InvalidEvent unless the event's type is known and its payload matches the current schema. */
export function assertValidEvent(event: NewEvent): void {
  const entry = entryFor(event.type);
  if (event.metadata.schemaVersion !== entry.definition.schemaVersion) {
    throw new InvalidEvent(`${event.type}: schema version ${event.metadata.schemaVersion}, expected ${entry.definition.schemaVersion}`);
  }
  if (!entry.validate(event.data)) {
    throw new InvalidEvent(`${event.type}: ${ajv.errorsText(entry.validate.errors)}`);
  }
}

/** Lifts an event read from the log to the current schema version, then validates it. */
export function upcast(event: RecordedEvent): RecordedEvent {
  const { definition } = entryFor(event.type);
  const from = event.metadata.schemaVersion;
  const current =
    from === definition.schemaVersion || !definition.upcast
      ? event
      : { ...event, data: definition.upcast(event.data, from), metadata: { ...event.metadata, schemaVersion: definition.schemaVersion } };
  assertValidEvent(current);
  return current;
}

function entryFor(type: string): Entry {
  const entry = entries.get(type);
  if (!entry) throw new InvalidEvent(`unknown event type ${type}`);
  return entry;
}
