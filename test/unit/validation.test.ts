import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { AddLDAPProviderRequestSchema, AdminService, ListEventsRequestSchema } from "@zitadel/proto/zitadel/admin_pb.js";
import {
  AddHumanUserRequestSchema,
  AddMachineUserRequestSchema,
  AddPersonalAccessTokenRequestSchema,
  ListUserChangesRequestSchema,
  ManagementService,
  BulkRemoveUserMetadataRequestSchema,
  BulkSetUserMetadataRequestSchema,
  ListUserMetadataRequestSchema,
  SetUserMetadataRequestSchema,
  ResendHumanInitializationRequestSchema,
  UpdateMachineRequestSchema,
} from "@zitadel/proto/zitadel/management_pb.js";
import type { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import type { AccessTokenType } from "@zitadel/proto/zitadel/user_pb.js";
import { createAdminMethods } from "../../src/api/methods/admin.js";
import { createManagementMethods } from "../../src/api/methods/management.js";
import { bigintFields, fullFieldName, is64BitInteger, numberFields, validatorFor } from "../../src/api/validation.js";
import { StatusError } from "../../src/errors.js";

const messageOf = (action: () => void) => {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof StatusError);
    assert.equal(error.category, "InvalidArgument");
    return error.message;
  }
  return undefined;
};

describe("validation from the descriptors' validate.rules", () => {
  const machine = validatorFor(AddMachineUserRequestSchema);
  const valid = { userName: "robot", name: "Robot" };

  it("accepts a valid request", () => {
    assert.equal(messageOf(() => machine(create(AddMachineUserRequestSchema, valid))), undefined);
  });

  it("reports min and max length as protoc-gen-validate does", () => {
    assert.equal(
      messageOf(() => machine(create(AddMachineUserRequestSchema, { ...valid, userName: "" }))),
      "invalid AddMachineUserRequest.UserName: value length must be between 1 and 200 runes, inclusive",
    );
    assert.equal(
      messageOf(() => machine(create(AddMachineUserRequestSchema, { ...valid, name: "x".repeat(201) }))),
      "invalid AddMachineUserRequest.Name: value length must be between 1 and 200 runes, inclusive",
    );
    assert.equal(
      messageOf(() => machine(create(AddMachineUserRequestSchema, { ...valid, description: "x".repeat(501) }))),
      "invalid AddMachineUserRequest.Description: value length must be at most 500 runes",
    );
  });

  it("counts runes, not UTF-16 units", () => {
    assert.equal(messageOf(() => machine(create(AddMachineUserRequestSchema, { ...valid, name: "😀".repeat(200) }))), undefined);
  });

  it("refuses enum numbers that are not defined", () => {
    assert.equal(
      messageOf(() => validatorFor(UpdateMachineRequestSchema)(create(UpdateMachineRequestSchema, { userId: "1", name: "n", accessTokenType: 9 as AccessTokenType }))),
      "invalid UpdateMachineRequest.AccessTokenType: value must be one of the defined enum values",
    );
  });

  it("names nested fields, required messages, emails and phone prefixes", () => {
    const human = validatorFor(AddHumanUserRequestSchema);
    const base = { userName: "a", profile: { firstName: "A", lastName: "B" }, email: { email: "a@example.com" } };
    assert.equal(messageOf(() => human(create(AddHumanUserRequestSchema, base))), undefined);
    assert.equal(
      messageOf(() => human(create(AddHumanUserRequestSchema, { ...base, profile: undefined }))),
      "invalid AddHumanUserRequest.Profile: value is required",
    );
    assert.equal(
      messageOf(() => human(create(AddHumanUserRequestSchema, { ...base, profile: { firstName: "", lastName: "B" } }))),
      "invalid AddHumanUserRequest.Profile: embedded message failed validation | caused by: invalid AddHumanUserRequest_Profile.FirstName: value length must be between 1 and 200 runes, inclusive",
    );
    assert.match(
      messageOf(() => human(create(AddHumanUserRequestSchema, { ...base, email: { email: "nope" } }))) ?? "",
      /AddHumanUserRequest_Email\.Email: value must be a valid email address/,
    );
    assert.match(
      messageOf(() => human(create(AddHumanUserRequestSchema, { ...base, phone: { phone: "0791234567" } }))) ?? "",
      /AddHumanUserRequest_Phone\.Phone: value does not have prefix "\+"/,
    );
  });

  it("bounds bytes by their decoded length, as PGV counts them", () => {
    const set = validatorFor(SetUserMetadataRequestSchema);
    const request = (value: Uint8Array) => create(SetUserMetadataRequestSchema, { id: "1", key: "k", value });
    assert.equal(messageOf(() => set(request(new Uint8Array(500_000)))), undefined);
    assert.equal(messageOf(() => set(request(new Uint8Array(1)))), undefined);
    const outOfBounds = "invalid SetUserMetadataRequest.Value: value length must be between 1 and 500000 bytes, inclusive";
    assert.equal(messageOf(() => set(request(new Uint8Array(500_001)))), outOfBounds);
    assert.equal(messageOf(() => set(request(new Uint8Array(0)))), outOfBounds);
  });

  it("checks every element of a list, naming it by its index", () => {
    const bulkSet = validatorFor(BulkSetUserMetadataRequestSchema);
    const entry = { key: "k", value: new Uint8Array([1]) };
    assert.equal(messageOf(() => bulkSet(create(BulkSetUserMetadataRequestSchema, { id: "1", metadata: [entry, entry] }))), undefined);
    assert.equal(
      messageOf(() => bulkSet(create(BulkSetUserMetadataRequestSchema, { id: "1", metadata: [entry, { ...entry, key: "k".repeat(201) }] }))),
      "invalid BulkSetUserMetadataRequest.Metadata[1]: embedded message failed validation | caused by: invalid BulkSetUserMetadataRequest_Metadata.Key: value length must be between 1 and 200 runes, inclusive",
    );
    assert.equal(
      messageOf(() => validatorFor(BulkRemoveUserMetadataRequestSchema)(create(BulkRemoveUserMetadataRequestSchema, { id: "1", keys: ["a", ""] }))),
      "invalid BulkRemoveUserMetadataRequest.Keys[1]: value length must be between 1 and 200 runes, inclusive",
    );
    const keyQuery = (method: number) => ({ query: { case: "keyQuery" as const, value: { key: "k", method: method as TextQueryMethod } } });
    const list = validatorFor(ListUserMetadataRequestSchema);
    assert.equal(messageOf(() => list(create(ListUserMetadataRequestSchema, { id: "1", queries: [keyQuery(2)] }))), undefined);
    assert.equal(
      messageOf(() => list(create(ListUserMetadataRequestSchema, { id: "1", queries: [keyQuery(99)] }))),
      "invalid ListUserMetadataRequest.Queries[0]: embedded message failed validation | caused by: invalid MetadataQuery.KeyQuery: embedded message failed validation | caused by: invalid MetadataKeyQuery.Method: value must be one of the defined enum values",
    );
  });

  it("bounds the number of a list's items, as PGV words it (ListEvents: 30 event types, 10 aggregate types)", () => {
    const events = validatorFor(ListEventsRequestSchema);
    const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    assert.equal(messageOf(() => events(create(ListEventsRequestSchema, { eventTypes: names(30), aggregateTypes: names(10) }))), undefined);
    assert.equal(messageOf(() => events(create(ListEventsRequestSchema, { eventTypes: names(31) }))), "invalid ListEventsRequest.EventTypes: value must contain no more than 30 item(s)");
    assert.equal(messageOf(() => events(create(ListEventsRequestSchema, { aggregateTypes: names(11) }))), "invalid ListEventsRequest.AggregateTypes: value must contain no more than 10 item(s)");
    // Both bounds: min_items 1 and max_items 20.
    const ldap = validatorFor(AddLDAPProviderRequestSchema);
    assert.equal(messageOf(() => ldap(create(AddLDAPProviderRequestSchema, { name: "ldap", servers: [] }))), "invalid AddLDAPProviderRequest.Servers: value must contain between 1 and 20 items, inclusive");
  });
});

describe("ranges of Timestamps and 64-bit integers", () => {
  const pat = validatorFor(AddPersonalAccessTokenRequestSchema);
  const expiringAt = (seconds: bigint, nanos = 0) => create(AddPersonalAccessTokenRequestSchema, { userId: "1", expirationDate: { seconds, nanos } });

  it("accepts every Timestamp protobuf can hold, from 0001-01-01 to 9999-12-31", () => {
    assert.equal(messageOf(() => pat(expiringAt(-62135596800n))), undefined);
    assert.equal(messageOf(() => pat(expiringAt(253402300799n, 999_999_999))), undefined);
  });

  it("refuses a Timestamp outside that range, or with nanos out of range, naming the field", () => {
    const says = "invalid AddPersonalAccessTokenRequest.ExpirationDate: value must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";
    assert.equal(messageOf(() => pat(expiringAt(1_000_000_000_000_000n))), says);
    assert.equal(messageOf(() => pat(expiringAt(253402300800n))), says);
    assert.equal(messageOf(() => pat(expiringAt(-62135596801n))), says);
    assert.equal(messageOf(() => pat(expiringAt(0n, 1_000_000_000))), says);
    assert.equal(messageOf(() => pat(expiringAt(0n, -1))), says);
  });

  it("finds Timestamps inside oneofs and nested messages", () => {
    const events = validatorFor(ListEventsRequestSchema);
    const tooLate = { seconds: 253402300800n, nanos: 0 };
    assert.match(messageOf(() => events(create(ListEventsRequestSchema, { creationDate: tooLate }))) ?? "", /ListEventsRequest\.CreationDate: value must be a timestamp/);
    assert.match(
      messageOf(() => events(create(ListEventsRequestSchema, { creationDateFilter: { case: "range", value: { since: tooLate } } }))) ?? "",
      /ListEventsRequest\.Range: embedded message failed validation \| caused by: invalid ListEventsRequest_creation_date_range\.Since: value must be a timestamp/,
    );
  });

  it("bounds a 64-bit integer its handler reads as a number to Number's exact integers", () => {
    const changes = validatorFor(ListUserChangesRequestSchema);
    const at = (sequence: bigint) => create(ListUserChangesRequestSchema, { userId: "1", query: { sequence } });
    assert.equal(messageOf(() => changes(at(BigInt(Number.MAX_SAFE_INTEGER)))), undefined);
    assert.equal(
      messageOf(() => changes(at(BigInt(Number.MAX_SAFE_INTEGER) + 1n))),
      "invalid ListUserChangesRequest.Query: embedded message failed validation | caused by: invalid ChangeQuery.Sequence: value must be between 0 and 9007199254740991, inclusive",
    );
  });

  it("every 64-bit integer field a served method reads is either bounded or kept as a bigint by its handler", () => {
    const inputsOf = (service: DescService, names: Iterable<string>) => [...names].map((name) => service.methods.find((m) => m.name === name)!.input);
    const inputs = [
      ...inputsOf(ManagementService, createManagementMethods({ queries: {} } as never).keys()),
      ...inputsOf(AdminService, createAdminMethods({ queries: {} } as never).keys()),
    ];
    const found = new Set<string>();
    const seen = new Set<DescMessage>();
    const walk = (message: DescMessage) => {
      // Well-known types have rules of their own (a Timestamp's range above).
      if (seen.has(message) || message.typeName.startsWith("google.protobuf.")) return;
      seen.add(message);
      for (const field of message.fields) {
        if (is64BitInteger(field)) found.add(fullFieldName(field));
        if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") || (field.fieldKind === "map" && field.mapKind === "message")) {
          walk(field.message);
        }
      }
    };
    for (const input of inputs) walk(input);
    assert.ok(found.size >= 2, [...found].join(", "));
    for (const name of found) assert.ok(numberFields.has(name) !== bigintFields.has(name), `${name} is in neither or both lists of src/api/validation.ts`);
  });
});

describe("ignore_empty", () => {
  const resend = validatorFor(ResendHumanInitializationRequestSchema);

  it("holds a string's rules only when it is set (ResendHumanInitialization's optional email)", () => {
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1" }))), undefined);
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1", email: "a@example.com" }))), undefined);
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1", email: "nope" }))), "invalid ResendHumanInitializationRequest.Email: value must be a valid email address");
  });
});
