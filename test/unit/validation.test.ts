import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  AddHumanUserRequestSchema,
  AddMachineUserRequestSchema,
  BulkRemoveUserMetadataRequestSchema,
  BulkSetUserMetadataRequestSchema,
  ListUserMetadataRequestSchema,
  SetUserMetadataRequestSchema,
  UpdateMachineRequestSchema,
} from "@zitadel/proto/zitadel/management_pb.js";
import type { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import type { AccessTokenType } from "@zitadel/proto/zitadel/user_pb.js";
import { validatorFor } from "../../src/api/validation.js";
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
});
