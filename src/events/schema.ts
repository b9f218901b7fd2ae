import type { JSONSchemaType } from "ajv";

/** An event type's payload contract: its current schema version and JSON Schema. */
export interface EventDefinition<Data> {
  readonly type: string;
  readonly schemaVersion: number;
  readonly schema: JSONSchemaType<Data>;
  /** Names this type was written under by older versions; read back as `type`, never appended. */
  readonly formerTypes?: readonly string[];
  /** Lifts a payload written under an older schema version to the current one. */
  readonly upcast?: (data: unknown, fromVersion: number) => unknown;
}

export const defineEvent = <Data>(definition: EventDefinition<Data>): EventDefinition<Data> => definition;
