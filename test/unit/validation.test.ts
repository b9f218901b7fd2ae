import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  AddHumanUserRequestSchema,
  AddMachineUserRequestSchema,
  ResendHumanInitializationRequestSchema,
  UpdateMachineRequestSchema,
} from "@zitadel/proto/zitadel/management_pb.js";
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
});

describe("ignore_empty", () => {
  const resend = validatorFor(ResendHumanInitializationRequestSchema);

  it("holds a string's rules only when it is set (ResendHumanInitialization's optional email)", () => {
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1" }))), undefined);
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1", email: "a@example.com" }))), undefined);
    assert.equal(messageOf(() => resend(create(ResendHumanInitializationRequestSchema, { userId: "1", email: "nope" }))), "invalid ResendHumanInitializationRequest.Email: value must be a valid email address");
  });
});
