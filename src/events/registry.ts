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

const definitions = [...userEvents, ...orgEvents, ...instanceEvents, ...webhookEvents, ...oidcSessionEvents, ...keyPairEvents] as EventDefinition<unknown>[];
const entries = new Map<string, Entry>(definitions.map((definition) => [definition.type, { definition, validate: ajv.compile(definition.schema) }]));
/** A former type name -> the entry of the type it is read as. */
const formerNames = new Map<string, Entry>(
  definitions.flatMap((definition) => (definition.formerTypes ?? []).map((former): [string, Entry] => [former, entries.get(definition.type)!])),
);

/** The type an event of `type` is read as: itself, or the current name of a renamed type. */
export const currentType = (type: string): string => formerNames.get(type)?.definition.type ?? type;

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

/**
 * Lifts an event read from the log to its type's current name and schema version, then validates
 * it; `validated`: it was validated as it is when it was appended, so only its name and version are checked.
 */
export function upcast(event: RecordedEvent, validated = false): RecordedEvent {
  const renamed = formerNames.get(event.type);
  const named = renamed ? { ...event, type: renamed.definition.type } : event;
  const { definition } = entryFor(named.type);
  const from = named.metadata.schemaVersion;
  if (validated && !renamed && from === definition.schemaVersion) return named;
  const current =
    from === definition.schemaVersion || !definition.upcast
      ? named
      : { ...named, data: definition.upcast(named.data, from), metadata: { ...named.metadata, schemaVersion: definition.schemaVersion } };
  assertValidEvent(current);
  return current;
}

function entryFor(type: string): Entry {
  const entry = entries.get(type);
  if (!entry) throw new InvalidEvent(`unknown event type ${type}`);
  return entry;
}
