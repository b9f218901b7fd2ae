import { cryptoValueSchema, encryptedValueSchema, type CryptoValue } from "../crypto/cryptoValue.js";
import { erasable } from "./personalData.js";
import { defineEvent } from "./schema.js";

/** zitadel.user.v1.AccessTokenType, stored as its number like ZITADEL's domain.OIDCTokenType. */
export type AccessTokenType = 0 | 1;

export const userStream = (userId: string) => `user-${userId}`;

export interface MachineAdded {
  readonly userName: string;
  readonly name: string;
  readonly description?: string;
  readonly accessTokenType?: AccessTokenType;
}
export const machineAdded = defineEvent<MachineAdded>({
  type: "user.machine.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      userName: { type: "string", minLength: 1 },
      name: { type: "string", minLength: 1 },
      description: { type: "string", nullable: true },
      accessTokenType: { type: "integer", enum: [0, 1], nullable: true },
    },
    required: ["userName", "name"],
    additionalProperties: false,
  },
});

export interface MachineChanged {
  readonly name?: string;
  readonly description?: string;
  readonly accessTokenType?: AccessTokenType;
}
export const machineChanged = defineEvent<MachineChanged>({
  type: "user.machine.changed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, nullable: true },
      description: { type: "string", nullable: true },
      accessTokenType: { type: "integer", enum: [0, 1], nullable: true },
    },
    required: [],
    minProperties: 1,
    additionalProperties: false,
  },
});

/** ZITADEL >= 2.5 stores the secret's hash as `hashedSecret`; we never store anything else. */
export interface MachineSecretSet {
  readonly hashedSecret: string;
}
export const machineSecretSet = defineEvent<MachineSecretSet>({
  type: "user.machine.secret.set",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { hashedSecret: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" } },
    required: ["hashedSecret"],
    additionalProperties: false,
  },
});

/** zitadel.user.v1.Gender as a number, like ZITADEL's domain.Gender. */
export type Gender = 0 | 1 | 2 | 3;

/** The password hash encodings an event may hold: idledger's own and those ImportHumanUser accepts. */
const importableHashPattern = "^(scrypt:|\\$2[aby]\\$|\\$argon2(i|id)\\$|\\$scrypt\\$)";

export interface HumanAdded {
  readonly userName: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly nickName?: string;
  readonly displayName?: string;
  readonly preferredLanguage?: string;
  readonly gender?: Gender;
  readonly email: string;
  readonly phone?: string;
  /** scrypt-kdf output, base64; absent when no initial password was given. */
  readonly encodedHash?: string;
  readonly changeRequired?: boolean;
}
export const humanAdded = defineEvent<HumanAdded>({
  type: "user.human.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      userName: erasable({ type: "string", minLength: 1 }),
      firstName: erasable({ type: "string", minLength: 1 }),
      lastName: erasable({ type: "string", minLength: 1 }),
      nickName: erasable({ type: "string", nullable: true }),
      displayName: erasable({ type: "string", nullable: true }),
      preferredLanguage: erasable({ type: "string", nullable: true }),
      gender: erasable({ type: "integer", enum: [0, 1, 2, 3], nullable: true }),
      email: erasable({ type: "string", minLength: 1 }),
      phone: erasable({ type: "string", nullable: true }),
      encodedHash: { type: "string", pattern: importableHashPattern, nullable: true },
      changeRequired: { type: "boolean", nullable: true },
    },
    required: ["userName", "firstName", "lastName", "email"],
    additionalProperties: false,
  },
});

export interface HumanEmailVerified {}
export const humanEmailVerified = defineEvent<HumanEmailVerified>({
  type: "user.human.email.verified",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

export interface HumanPhoneVerified {}
export const humanPhoneVerified = defineEvent<HumanPhoneVerified>({
  type: "user.human.phone.verified",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

export interface HumanInitialCodeAdded {
  /** Encrypted (CryptoType 0) since version 2; version 1 held an unkeyed SHA-256 (CryptoType 1). */
  readonly code: CryptoValue;
  /** Nanoseconds, as ZITADEL serializes a Go time.Duration. */
  readonly expiry: number;
}
export const humanInitialCodeAdded = defineEvent<HumanInitialCodeAdded>({
  type: "user.human.initialization.code.added",
  schemaVersion: 2,
  schema: {
    type: "object",
    properties: { code: cryptoValueSchema, expiry: { type: "integer", minimum: 0 } },
    required: ["code", "expiry"],
    additionalProperties: false,
  } as never,
  // Version 1: `{cryptoType: 1, algorithm: "sha256", crypted: "sha256:<hex>"}`, kept as the hash it
  // was (such a code can never be verified; it expired 72 hours after it was issued anyway).
  upcast: (data) => {
    const { code, expiry } = data as { code: { algorithm: string; crypted: string }; expiry: number };
    return { code: { CryptoType: 1, Algorithm: code.algorithm, KeyID: "", Crypted: Buffer.from(code.crypted).toString("base64") }, expiry };
  },
});

export interface PersonalAccessTokenAdded {
  readonly tokenId: string;
  /** RFC 3339. */
  readonly expiration: string;
  readonly scopes: string[];
  /** `sha256:<hex>` of the token; the token itself is returned once and never stored. */
  readonly tokenHash: string;
}
export const personalAccessTokenAdded = defineEvent<PersonalAccessTokenAdded>({
  type: "user.pat.added",
  // ZITADEL's name (internal/repository/user/personal_access_token.go); idledger wrote its own at first.
  formerTypes: ["user.personal.access.token.added"],
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      tokenId: { type: "string", minLength: 1 },
      expiration: { type: "string", format: "date-time" },
      scopes: { type: "array", items: { type: "string" } },
      tokenHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
    },
    required: ["tokenId", "expiration", "scopes", "tokenHash"],
    additionalProperties: false,
  },
});

/** Lifecycle events without a payload (ZITADEL's carry none either). */
const noPayload = { type: "object", additionalProperties: false } as const;
export interface NoPayload {}
export const userDeactivated = defineEvent<NoPayload>({ type: "user.deactivated", schemaVersion: 1, schema: noPayload });
export const userReactivated = defineEvent<NoPayload>({ type: "user.reactivated", schemaVersion: 1, schema: noPayload });
export const userLocked = defineEvent<NoPayload>({ type: "user.locked", schemaVersion: 1, schema: noPayload });
export const userUnlocked = defineEvent<NoPayload>({ type: "user.unlocked", schemaVersion: 1, schema: noPayload });
/** The userName it gave back rides along, so the log alone tells which name was released. */
export interface UserRemoved {
  readonly userName: string;
}
export const userRemoved = defineEvent<UserRemoved>({
  type: "user.removed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { userName: erasable({ type: "string", minLength: 1 }) },
    required: ["userName"],
    additionalProperties: false,
  },
});

export interface UserNameChanged {
  readonly userName: string;
  /** The name given back in the same append. */
  readonly oldUserName: string;
}
export const userNameChanged = defineEvent<UserNameChanged>({
  type: "user.username.changed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { userName: erasable({ type: "string", minLength: 1 }), oldUserName: erasable({ type: "string", minLength: 1 }) },
    required: ["userName", "oldUserName"],
    additionalProperties: false,
  },
});

/** ZITADEL's domain.AuthNKeyType as its number; 1 (JSON) is the only type it issues. */
export type AuthNKeyType = 1;

/**
 * ZITADEL's MachineKeyAddedEvent. Only the public key is ever recorded (base64 of its PEM, as Go
 * serializes `[]byte`): a generated private key is returned once in the key file and then forgotten.
 */
export interface MachineKeyAdded {
  readonly keyId: string;
  readonly type: AuthNKeyType;
  /** RFC 3339. */
  readonly expirationDate: string;
  readonly publicKey: string;
}
export const machineKeyAdded = defineEvent<MachineKeyAdded>({
  type: "user.machine.key.added",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      keyId: { type: "string", minLength: 1 },
      type: { type: "integer", const: 1 },
      expirationDate: { type: "string", format: "date-time" },
      publicKey: { type: "string", minLength: 1, maxLength: 16384, pattern: "^[A-Za-z0-9+/]+={0,2}$" },
    },
    required: ["keyId", "type", "expirationDate", "publicKey"],
    additionalProperties: false,
  } as never,
});

export interface MachineKeyRemoved {
  readonly keyId: string;
}
export const machineKeyRemoved = defineEvent<MachineKeyRemoved>({
  type: "user.machine.key.removed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { keyId: { type: "string", minLength: 1 } },
    required: ["keyId"],
    additionalProperties: false,
  },
});

/** ZITADEL's MachineSecretRemovedEvent carries nothing: the hash it replaces is simply gone. */
export const machineSecretRemoved = defineEvent<NoPayload>({ type: "user.machine.secret.removed", schemaVersion: 1, schema: noPayload });

/** ZITADEL's PersonalAccessTokenRemovedEvent, type `user.pat.removed` (internal/repository/user/personal_access_token.go). */
export interface PersonalAccessTokenRemoved {
  readonly tokenId: string;
}
export const personalAccessTokenRemoved = defineEvent<PersonalAccessTokenRemoved>({
  type: "user.pat.removed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { tokenId: { type: "string", minLength: 1 } },
    required: ["tokenId"],
    additionalProperties: false,
  },
});

/**
 * idledger's own: the user's key is deleted (crypto-shredding), so every personal field of its
 * events reads as "[erased]" from now on. Only a removed user is erased; the event carries nothing.
 */
export const userPersonalDataErased = defineEvent<NoPayload>({ type: "user.personal.data.erased", schemaVersion: 1, schema: noPayload });

/** ZITADEL's metadata.SetEvent: `value` is bytes, base64 in JSON as Go writes a []byte. */
export interface MetadataSet {
  readonly key: string;
  readonly value: string;
}
export const metadataSet = defineEvent<MetadataSet>({
  type: "user.metadata.set",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      // ZITADEL's limits: a key of 1 to 200 runes, a value of 1 to 500,000 bytes (666,668 in base64).
      key: { type: "string", minLength: 1, maxLength: 200 },
      value: erasable({ type: "string", minLength: 4, maxLength: 666_668, pattern: "^[A-Za-z0-9+/]*={0,2}$" }),
    },
    required: ["key", "value"],
    additionalProperties: false,
  },
});

export interface MetadataRemoved {
  readonly key: string;
}
export const metadataRemoved = defineEvent<MetadataRemoved>({
  type: "user.metadata.removed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { key: { type: "string", minLength: 1, maxLength: 200 } },
    required: ["key"],
    additionalProperties: false,
  },
});

/** Only what changed; an unset field is unchanged (ZITADEL's HumanProfileChangedEvent). */
export interface HumanProfileChanged {
  readonly firstName?: string;
  readonly lastName?: string;
  readonly nickName?: string;
  readonly displayName?: string;
  readonly preferredLanguage?: string;
  readonly gender?: Gender;
}
export const humanProfileChanged = defineEvent<HumanProfileChanged>({
  type: "user.human.profile.changed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: {
      firstName: erasable({ type: "string", minLength: 1, nullable: true }),
      lastName: erasable({ type: "string", minLength: 1, nullable: true }),
      nickName: erasable({ type: "string", nullable: true }),
      displayName: erasable({ type: "string", nullable: true }),
      preferredLanguage: erasable({ type: "string", nullable: true }),
      gender: erasable({ type: "integer", enum: [0, 1, 2, 3], nullable: true }),
    },
    required: [],
    minProperties: 1,
    additionalProperties: false,
  },
});

export interface HumanEmailChanged {
  readonly email: string;
}
export const humanEmailChanged = defineEvent<HumanEmailChanged>({
  type: "user.human.email.changed",
  schemaVersion: 1,
  schema: { type: "object", properties: { email: erasable({ type: "string", minLength: 1 }) }, required: ["email"], additionalProperties: false },
});

export interface HumanPhoneChanged {
  /** E.164. */
  readonly phone: string;
}
export const humanPhoneChanged = defineEvent<HumanPhoneChanged>({
  type: "user.human.phone.changed",
  schemaVersion: 1,
  schema: { type: "object", properties: { phone: erasable({ type: "string", pattern: "^\\+[1-9][0-9]{1,14}$" }) }, required: ["phone"], additionalProperties: false },
});

export const humanPhoneRemoved = defineEvent<NoPayload>({
  type: "user.human.phone.removed",
  schemaVersion: 1,
  schema: { type: "object", additionalProperties: false },
});

/** A verification code, encrypted (src/crypto/codes.ts), and how long it is valid (ZITADEL's email and phone code events). */
export interface HumanCodeAdded {
  readonly code: CryptoValue;
  /** Nanoseconds, as ZITADEL serializes a Go time.Duration. */
  readonly expiry: number;
}
const codeAddedSchema = {
  type: "object",
  properties: { code: encryptedValueSchema, expiry: { type: "integer", minimum: 0 } },
  required: ["code", "expiry"],
  additionalProperties: false,
} as never;
export const humanEmailCodeAdded = defineEvent<HumanCodeAdded>({ type: "user.human.email.code.added", schemaVersion: 1, schema: codeAddedSchema });
export const humanPhoneCodeAdded = defineEvent<HumanCodeAdded>({ type: "user.human.phone.code.added", schemaVersion: 1, schema: codeAddedSchema });

export interface HumanPasswordChanged {
  /** scrypt-kdf output, base64: SetHumanPassword hashes the password it is given. */
  readonly encodedHash: string;
  readonly changeRequired: boolean;
}
export const humanPasswordChanged = defineEvent<HumanPasswordChanged>({
  type: "user.human.password.changed",
  schemaVersion: 1,
  schema: {
    type: "object",
    properties: { encodedHash: { type: "string", pattern: "^scrypt:" }, changeRequired: { type: "boolean" } },
    required: ["encodedHash", "changeRequired"],
    additionalProperties: false,
  },
});

export type UserEvent =
  | { readonly type: "user.machine.added"; readonly data: MachineAdded }
  | { readonly type: "user.machine.changed"; readonly data: MachineChanged }
  | { readonly type: "user.machine.secret.set"; readonly data: MachineSecretSet }
  | { readonly type: "user.human.added"; readonly data: HumanAdded }
  | { readonly type: "user.human.email.verified"; readonly data: HumanEmailVerified }
  | { readonly type: "user.human.phone.verified"; readonly data: HumanPhoneVerified }
  | { readonly type: "user.human.initialization.code.added"; readonly data: HumanInitialCodeAdded }
  | { readonly type: "user.pat.added"; readonly data: PersonalAccessTokenAdded }
  | { readonly type: "user.deactivated"; readonly data: NoPayload }
  | { readonly type: "user.reactivated"; readonly data: NoPayload }
  | { readonly type: "user.locked"; readonly data: NoPayload }
  | { readonly type: "user.unlocked"; readonly data: NoPayload }
  | { readonly type: "user.removed"; readonly data: UserRemoved }
  | { readonly type: "user.username.changed"; readonly data: UserNameChanged }
  | { readonly type: "user.human.profile.changed"; readonly data: HumanProfileChanged }
  | { readonly type: "user.human.email.changed"; readonly data: HumanEmailChanged }
  | { readonly type: "user.human.email.code.added"; readonly data: HumanCodeAdded }
  | { readonly type: "user.human.phone.changed"; readonly data: HumanPhoneChanged }
  | { readonly type: "user.human.phone.removed"; readonly data: NoPayload }
  | { readonly type: "user.human.phone.code.added"; readonly data: HumanCodeAdded }
  | { readonly type: "user.human.password.changed"; readonly data: HumanPasswordChanged }
  | { readonly type: "user.machine.key.added"; readonly data: MachineKeyAdded }
  | { readonly type: "user.machine.key.removed"; readonly data: MachineKeyRemoved }
  | { readonly type: "user.machine.secret.removed"; readonly data: NoPayload }
  | { readonly type: "user.pat.removed"; readonly data: PersonalAccessTokenRemoved }
  | { readonly type: "user.metadata.set"; readonly data: MetadataSet }
  | { readonly type: "user.metadata.removed"; readonly data: MetadataRemoved }
  | { readonly type: "user.personal.data.erased"; readonly data: NoPayload };

export const userEvents = [
  machineAdded,
  machineChanged,
  machineSecretSet,
  humanAdded,
  humanEmailVerified,
  humanPhoneVerified,
  humanInitialCodeAdded,
  personalAccessTokenAdded,
  userDeactivated,
  userReactivated,
  userLocked,
  userUnlocked,
  userRemoved,
  userNameChanged,
  humanProfileChanged,
  humanEmailChanged,
  humanEmailCodeAdded,
  humanPhoneChanged,
  humanPhoneRemoved,
  humanPhoneCodeAdded,
  humanPasswordChanged,
  machineKeyAdded,
  machineKeyRemoved,
  machineSecretRemoved,
  personalAccessTokenRemoved,
  metadataSet,
  metadataRemoved,
  userPersonalDataErased,
];
