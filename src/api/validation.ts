import { getExtension, hasExtension, isFieldSet, toJson, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { rules as validateRules, StringRulesSchema, type FieldRules, type StringRules } from "@zitadel/proto/validate/validate_pb.js";
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

const compiled = new WeakMap<DescMessage, ValidateFunction>();

export function validatorFor(desc: DescMessage): Validate {
  let validate = compiled.get(desc);
  if (!validate) {
    validate = ajv.compile(schemaOf(desc));
    compiled.set(desc, validate);
  }
  const check = validate;
  return (message) => {
    const canonical = toJson(desc, message, { alwaysEmitImplicit: true });
    if (!check(canonical)) throw new StatusError("InvalidArgument", describe(desc, check.errors?.[0]));
  };
}

function rulesOf(field: DescField): FieldRules | undefined {
  const options = field.proto.options;
  return options && hasExtension(options, validateRules) ? getExtension(options, validateRules) : undefined;
}

function schemaOf(desc: DescMessage): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const field of desc.fields) {
    const rules = rulesOf(field);
    properties[field.jsonName] = fieldSchema(field, rules);
    if (rules?.message?.required) required.push(field.jsonName);
  }
  return { type: "object", properties, required };
}

function fieldSchema(field: DescField, rules: FieldRules | undefined): Schema {
  switch (field.fieldKind) {
    case "message":
      // Well-known types (Timestamp, Duration, Struct) have their own JSON forms and no rules of ours.
      return field.message.typeName.startsWith("google.protobuf.") ? {} : schemaOf(field.message);
    case "enum":
      // Every enum is checked as if `defined_only` were set: ZITADEL quietly reads an undefined
      // value as "unspecified", idledger says it is wrong (and never writes it into an event).
      return { enum: field.enum.values.map((v) => v.name) };
    case "scalar":
      return rules?.type.case === "string" ? stringSchema(rules.type.value) : {};
    default:
      return {};
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

/** Go's PGV names: message `AddHumanUserRequest_Profile`, field `FirstName`. */
const goMessageName = (desc: DescMessage) => desc.typeName.slice(desc.file.proto.package.length + 1).replaceAll(".", "_");
const goFieldName = (field: DescField) => field.name.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");

function describe(root: DescMessage, error: ErrorObject | undefined): string {
  if (!error) return "invalid request";
  const path = error.instancePath.split("/").filter(Boolean);
  if (error.keyword === "required") path.push(String(error.params.missingProperty));
  // Walk the path through the descriptors, nesting as PGV does.
  const frames: { message: DescMessage; field: DescField }[] = [];
  let message = root;
  for (const segment of path) {
    const field = message.fields.find((f) => f.jsonName === segment);
    if (!field) break;
    frames.push({ message, field });
    if (field.fieldKind !== "message") break;
    message = field.message;
  }
  const innermost = frames.at(-1);
  if (!innermost) return `invalid ${goMessageName(root)}: ${error.message ?? "invalid value"}`;
  let text = `invalid ${goMessageName(innermost.message)}.${goFieldName(innermost.field)}: ${reason(error)}`;
  for (const frame of frames.slice(0, -1).reverse()) {
    text = `invalid ${goMessageName(frame.message)}.${goFieldName(frame.field)}: embedded message failed validation | caused by: ${text}`;
  }
  return text;
}

function reason(error: ErrorObject): string {
  const schema = error.parentSchema as Schema | undefined;
  const [min, max] = (schema?.["x-len"] as [number | undefined, number | undefined] | undefined) ?? [];
  switch (error.keyword) {
    case "minLength":
    case "maxLength":
      if (min !== undefined && max !== undefined) return `value length must be between ${min} and ${max} runes, inclusive`;
      return error.keyword === "minLength" ? `value length must be at least ${min} runes` : `value length must be at most ${max} runes`;
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
