import { getExtension, hasExtension, isFieldSet, ScalarType, toJson, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import {
  BytesRulesSchema,
  RepeatedRulesSchema,
  rules as validateRules,
  StringRulesSchema,
  type BytesRules,
  type FieldRules,
  type RepeatedRules,
  type StringRules,
} from "@zitadel/proto/validate/validate_pb.js";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { StatusError } from "../errors.js";

/**
 * Request validation from the descriptors' `validate.rules` (protoc-gen-validate), compiled to
 * JSON Schema and checked by ajv against the message's canonical protojson form. Failures read
 * like PGV's, as ZITADEL returns them:
 * `invalid AddMachineUserRequest.UserName: value length must be between 1 and 200 runes, inclusive`.
 */
export type Validate = (message: Message) => void;

type Schema = Record<string, unknown>;

// ajv counts string length in code points, as PGV counts runes; verbose keeps parentSchema for messages.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
addFormats.default(ajv, ["email"]);
// Bytes travel base64-encoded in protojson; PGV bounds the decoded length.
ajv.addKeyword({
  keyword: "x-bytes",
  type: "string",
  validate: ([min, max]: [number | undefined, number | undefined], base64: string) => {
    const bytes = Buffer.byteLength(base64, "base64");
    return (min === undefined || bytes >= min) && (max === undefined || bytes <= max);
  },
});

const compiled = new WeakMap<DescMessage, ValidateFunction>();

export function validatorFor(desc: DescMessage): Validate {
  let validate = compiled.get(desc);
  if (!validate) {
    validate = ajv.compile(schemaOf(desc));
    compiled.set(desc, validate);
  }
  const check = validate;
  // A message of plain string fields (GetUserByID and most look-ups) has its fields as its canonical
  // JSON: no need for the reflective encoder, nor for the range check, which concerns no string.
  const plainStrings = desc.fields.every((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && !f.oneof && !f.proto.proto3Optional);
  if (plainStrings) {
    return (message) => {
      const fields = message as unknown as Fields;
      const canonical: Fields = {};
      for (const field of desc.fields) canonical[field.jsonName] = fields[field.localName];
      if (!check(canonical)) throw new StatusError("InvalidArgument", describe(desc, check.errors?.[0]));
    };
  }
  return (message) => {
    try {
      // First: protojson cannot even encode a Timestamp out of range, and a handler must not meet one.
      const outOfRange = rangeProblem(desc, message as unknown as Fields);
      if (outOfRange) throw new StatusError("InvalidArgument", outOfRange);
      const canonical = toJson(desc, message, { alwaysEmitImplicit: true });
      if (!check(canonical)) throw new StatusError("InvalidArgument", describe(desc, check.errors?.[0]));
    } catch (error) {
      // Every step walks the message recursively: one nested past the stack's depth is the client's doing.
      if (error instanceof RangeError) throw new StatusError("InvalidArgument", "the request is nested too deeply");
      throw error;
    }
  };
}

function rulesOf(field: DescField): FieldRules | undefined {
  const options = field.proto.options;
  return options && hasExtension(options, validateRules) ? getExtension(options, validateRules) : undefined;
}

// Messages by reference, so that recursive ones (user.v1.SearchQuery within its OrQuery) compile.
type RefOf = (desc: DescMessage) => Schema;

function schemaOf(root: DescMessage): Schema {
  const definitions: Record<string, Schema> = {};
  const refOf: RefOf = (desc) => {
    if (!(desc.typeName in definitions)) {
      definitions[desc.typeName] = {};
      definitions[desc.typeName] = messageSchema(desc, refOf);
    }
    return { $ref: `#/definitions/${desc.typeName}` };
  };
  return { ...messageSchema(root, refOf), definitions };
}

function messageSchema(desc: DescMessage, refOf: RefOf): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const field of desc.fields) {
    const rules = rulesOf(field);
    properties[field.jsonName] = fieldSchema(field, rules, refOf);
    if (rules?.message?.required) required.push(field.jsonName);
  }
  return { type: "object", properties, required };
}

function fieldSchema(field: DescField, rules: FieldRules | undefined, refOf: RefOf): Schema {
  switch (field.fieldKind) {
    case "list": {
      // Each element is checked as a singular field of its kind would be, with `repeated.items`.
      const repeated = rules?.type.case === "repeated" ? rules.type.value : undefined;
      return { type: "array", items: valueSchema(field.listKind, field, repeated?.items, refOf), ...(repeated ? itemCountSchema(repeated) : {}) };
    }
    case "map":
      return {};
    default:
      return valueSchema(field.fieldKind, field, rules, refOf);
  }
}

function valueSchema(kind: "message" | "enum" | "scalar", field: DescField, rules: FieldRules | undefined, refOf: RefOf): Schema {
  switch (kind) {
    case "message":
      // Well-known types (Timestamp, Duration, Struct) have their own JSON forms and no rules of ours.
      return field.message!.typeName.startsWith("google.protobuf.") ? {} : refOf(field.message!);
    case "enum":
      // Every enum is checked as if `defined_only` were set: ZITADEL quietly reads an undefined
      // value as "unspecified", idledger says it is wrong (and never writes it into an event).
      return { enum: field.enum!.values.map((v) => v.name) };
    case "scalar":
      if (rules?.type.case === "string") return stringSchema(rules.type.value);
      return rules?.type.case === "bytes" ? bytesSchema(rules.type.value) : {};
    default: {
      const unhandled: never = kind;
      return unhandled;
    }
  }
}

function stringSchema(r: StringRules): Schema {
  // validate.proto is proto2: an unset limit reads as 0, so ask whether it is set.
  const set = (name: "minLen" | "maxLen" | "prefix") => isFieldSet(r, StringRulesSchema.field[name]);
  const min = set("minLen") ? Number(r.minLen) : undefined;
  const max = set("maxLen") ? Number(r.maxLen) : undefined;
  const schema: Schema = { type: "string" };
  if (min !== undefined) schema.minLength = min;
  if (max !== undefined) schema.maxLength = max;
  if (set("prefix")) {
    schema.pattern = `^${r.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
    schema["x-prefix"] = r.prefix;
  }
  if (r.wellKnown.case === "email" && r.wellKnown.value) schema.format = "email";
  // PGV reports the length rule in one sentence; keep both limits at hand for it.
  schema["x-len"] = [min, max];
  // `ignore_empty`: the rules hold only for a value that is set.
  return r.ignoreEmpty ? { type: "string", if: { const: "" }, else: schema } : schema;
}

type Fields = Record<string, unknown>;

// protobuf's own range for google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const TIMESTAMP_SECONDS = [-62135596800n, 253402300799n] as const;
const TIMESTAMP_RANGE = "value must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

/**
 * 64-bit integer fields that a handler reads as a JavaScript number, by full name: they must stay
 * within Number's exact integers. Every other 64-bit field is kept as a bigint by its handler
 * (test/unit/validation.test.ts checks that each field a served method reads is in one list).
 */
export const numberFields: ReadonlySet<string> = new Set(["zitadel.change.v1.ChangeQuery.sequence"]);
export const bigintFields: ReadonlySet<string> = new Set(["zitadel.admin.v1.ListEventsRequest.sequence", "zitadel.v1.ListQuery.offset"]);
const NUMBER_RANGE = `value must be between 0 and ${Number.MAX_SAFE_INTEGER}, inclusive`;

export const fullFieldName = (field: DescField): string => `${field.parent.typeName}.${field.name}`;

export const is64BitInteger = (field: DescField): boolean =>
  field.fieldKind === "scalar" &&
  [ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64].includes(field.scalar);

/**
 * The first Timestamp outside protobuf's range, or 64-bit integer beyond what its handler can
 * hold, anywhere in the message, described as PGV describes a failed rule; undefined when none.
 */
function rangeProblem(desc: DescMessage, message: Fields): string | undefined {
  for (const field of desc.fields) {
    const value = valueOf(field, message);
    if (value === undefined) continue;
    const problem = fieldProblem(field, value);
    if (problem === undefined) continue;
    const name = `${goMessageName(desc)}.${goFieldName(field)}`;
    return problem.nested ? `invalid ${name}: embedded message failed validation | caused by: ${problem.text}` : `invalid ${name}: ${problem.text}`;
  }
  return undefined;
}

function fieldProblem(field: DescField, value: unknown): { readonly text: string; readonly nested: boolean } | undefined {
  const inMessage = (message: DescMessage, item: unknown) => {
    if (message.typeName === "google.protobuf.Timestamp") return timestampInRange(item as Fields) ? undefined : { text: TIMESTAMP_RANGE, nested: false };
    const text = rangeProblem(message, item as Fields);
    return text === undefined ? undefined : { text, nested: true };
  };
  switch (field.fieldKind) {
    case "message":
      return inMessage(field.message, value);
    case "list":
      if (field.listKind !== "message") return undefined;
      for (const item of value as unknown[]) {
        const problem = inMessage(field.message, item);
        if (problem) return problem;
      }
      return undefined;
    case "map":
      if (field.mapKind !== "message") return undefined;
      for (const item of Object.values(value as Fields)) {
        const problem = inMessage(field.message, item);
        if (problem) return problem;
      }
      return undefined;
    case "scalar":
      if (!is64BitInteger(field) || !numberFields.has(fullFieldName(field))) return undefined;
      return BigInt(value as bigint) >= 0n && BigInt(value as bigint) <= BigInt(Number.MAX_SAFE_INTEGER) ? undefined : { text: NUMBER_RANGE, nested: false };
    default:
      return undefined;
  }
}

const timestampInRange = ({ seconds, nanos }: Fields) => {
  const s = BigInt((seconds as bigint | undefined) ?? 0n);
  const n = Number(nanos ?? 0);
  return s >= TIMESTAMP_SECONDS[0] && s <= TIMESTAMP_SECONDS[1] && Number.isInteger(n) && n >= 0 && n <= 999_999_999;
};

// A oneof member's value sits under the oneof's name, with its `case`.
function valueOf(field: DescField, message: Fields): unknown {
  if (!field.oneof) return message[field.localName];
  const chosen = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return chosen?.case === field.localName ? chosen.value : undefined;
}

// PGV's own reading of the proto2 fields: a `min_items` of 0 is no rule, a `max_items` that is set is one.
function itemCountSchema(r: RepeatedRules): Schema {
  const min = r.minItems > 0n ? Number(r.minItems) : undefined;
  const max = isFieldSet(r, RepeatedRulesSchema.field.maxItems) ? Number(r.maxItems) : undefined;
  return { ...(min === undefined ? {} : { minItems: min }), ...(max === undefined ? {} : { maxItems: max }), "x-items": [min, max] };
}

function bytesSchema(r: BytesRules): Schema {
  const set = (name: "minLen" | "maxLen") => isFieldSet(r, BytesRulesSchema.field[name]);
  const limits = [set("minLen") ? Number(r.minLen) : undefined, set("maxLen") ? Number(r.maxLen) : undefined];
  return { type: "string", "x-bytes": limits, "x-len": limits };
}

/** Go's PGV names: message `AddHumanUserRequest_Profile`, field `FirstName`. */
const goMessageName = (desc: DescMessage) => desc.typeName.slice(desc.file.proto.package.length + 1).replaceAll(".", "_");
const goFieldName = (field: DescField) => field.name.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");

function describe(root: DescMessage, error: ErrorObject | undefined): string {
  if (!error) return "invalid request";
  const path = error.instancePath.split("/").filter(Boolean);
  if (error.keyword === "required") path.push(String(error.params.missingProperty));
  // Walk the path through the descriptors, nesting as PGV does (`Metadata[0]` for a list's element).
  const frames: { message: DescMessage; field: DescField; index?: string }[] = [];
  let message: DescMessage | undefined = root;
  for (const segment of path) {
    const last = frames.at(-1);
    if (last?.field.fieldKind === "list" && last.index === undefined) {
      last.index = segment;
      message = last.field.listKind === "message" ? last.field.message : undefined;
      continue;
    }
    const field = message?.fields.find((f) => f.jsonName === segment);
    if (!message || !field) break;
    frames.push({ message, field });
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  const name = (frame: (typeof frames)[number]) => `${goMessageName(frame.message)}.${goFieldName(frame.field)}${frame.index === undefined ? "" : `[${frame.index}]`}`;
  const innermost = frames.at(-1);
  if (!innermost) return `invalid ${goMessageName(root)}: ${error.message ?? "invalid value"}`;
  let text = `invalid ${name(innermost)}: ${reason(error)}`;
  for (const frame of frames.slice(0, -1).reverse()) {
    text = `invalid ${name(frame)}: embedded message failed validation | caused by: ${text}`;
  }
  return text;
}

function reason(error: ErrorObject): string {
  const schema = error.parentSchema as Schema | undefined;
  const [min, max] = (schema?.["x-len"] as [number | undefined, number | undefined] | undefined) ?? [];
  switch (error.keyword) {
    case "minLength":
    case "maxLength":
    case "x-bytes": {
      const unit = error.keyword === "x-bytes" ? "bytes" : "runes";
      if (min !== undefined && max !== undefined) return `value length must be between ${min} and ${max} ${unit}, inclusive`;
      return min !== undefined ? `value length must be at least ${min} ${unit}` : `value length must be at most ${max} ${unit}`;
    }
    case "minItems":
    case "maxItems": {
      const [least, most] = (schema?.["x-items"] as [number | undefined, number | undefined] | undefined) ?? [];
      if (least !== undefined && least === most) return `value must contain exactly ${least} item(s)`;
      if (least !== undefined && most !== undefined) return `value must contain between ${least} and ${most} items, inclusive`;
      return least !== undefined ? `value must contain at least ${least} item(s)` : `value must contain no more than ${most} item(s)`;
    }
    case "enum":
      return "value must be one of the defined enum values";
    case "format":
      return "value must be a valid email address";
    case "pattern":
      return `value does not have prefix ${JSON.stringify(schema?.["x-prefix"])}`;
    case "required":
      return "value is required";
    default:
      return error.message ?? "invalid value";
  }
}
