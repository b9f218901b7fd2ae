/**
 * Domain errors, as ZITADEL's `zerrors`: a category (which becomes the gRPC code), a stable id
 * that travels to the client in `details`, and a message. The ids are ZITADEL's own where it has
 * one for the same failure. Every id is listed in docs/errors.md; test/unit/errors.test.ts fails
 * when one is not.
 */
export type ErrorCategory =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "PermissionDenied"
  | "PreconditionFailed"
  | "Unauthenticated"
  | "ResourceExhausted"
  | "Unimplemented"
  | "Unavailable"
  | "Internal";

interface CatalogueEntry {
  readonly category: ErrorCategory;
  readonly id: string;
  readonly message: string;
}

const entry = (category: ErrorCategory, id: string, message: string): CatalogueEntry => ({ category, id, message });

/**
 * All errors idledger answers with, by name. Ids are ZITADEL's own for the same failure (see
 * docs/errors.md for where each comes from); `API-` ids are idledger's, for failures ZITADEL's
 * gateway reports without one.
 */
export const catalogue = {
  userIdTaken: entry("PreconditionFailed", "COMMAND-k2una", "The user already exists"),
  userNameTaken: entry("AlreadyExists", "V3-DKcYh", "User already exists"),
  userNotFound: entry("NotFound", "COMMAND-5M0od", "User could not be found"),
  userNotFoundQuery: entry("NotFound", "QUERY-Dfbg2", "User could not be found"),
  userNotChanged: entry("PreconditionFailed", "COMMAND-2n8vs", "User has not been changed"),
  deactivateUserNotFound: entry("NotFound", "COMMAND-3M9ds", "User could not be found"),
  deactivateInitialUser: entry("PreconditionFailed", "COMMAND-ke0fw", "Cannot deactivate a user who has not been initialized"),
  userAlreadyInactive: entry("PreconditionFailed", "COMMAND-5M0sf", "User is already deactivated"),
  reactivateUserNotFound: entry("NotFound", "COMMAND-4M0sd", "User could not be found"),
  userNotInactive: entry("PreconditionFailed", "COMMAND-6M0sf", "User is not deactivated"),
  lockUserNotFound: entry("NotFound", "COMMAND-5M9fs", "User could not be found"),
  userNotActiveOrInitial: entry("PreconditionFailed", "COMMAND-3NN8v", "User should be active or initial"),
  unlockUserNotFound: entry("NotFound", "COMMAND-M0dos", "User could not be found"),
  userNotLocked: entry("PreconditionFailed", "COMMAND-4M0ds", "User is not locked"),
  removeUserNotFound: entry("NotFound", "COMMAND-m9od", "User could not be found"),
  eraseUserNotFound: entry("NotFound", "PRIVACY-e4Nf1", "User could not be found"),
  eraseUserNotRemoved: entry("PreconditionFailed", "PRIVACY-r3Mv2", "Only a removed user's personal data can be erased: remove the user first"),
  eraseUserNotEncrypted: entry("PreconditionFailed", "PRIVACY-n0Kq3", "The user has no encrypted personal data to erase (its events were written before encryption, or it never had any)"),
  changeUserNameNotFound: entry("NotFound", "COMMAND-5N9ds", "User could not be found"),
  userNameNotChanged: entry("PreconditionFailed", "COMMAND-6m9gs", "Username is not changed"),
  userNameMissing: entry("InvalidArgument", "COMMAND-2N9fs", "The username is empty"),
  machineNotExisting: entry("PreconditionFailed", "COMMAND-x8910n", "User does not exist or is not a machine user"),
  removeSecretUserNotFound: entry("PreconditionFailed", "COMMAND-x7s802", "User does not exist or is not a machine user"),
  machineSecretNotExisting: entry("PreconditionFailed", "COMMAND-coi82n", "The machine user has no client secret"),
  userInvalid: entry("InvalidArgument", "COMMAND-bm9Ds", "Userdata is invalid"),
  machineNameEmpty: entry("InvalidArgument", "COMMAND-bs9Ds", "Userdata is invalid"),
  userNameEmpty: entry("InvalidArgument", "V2-zzad3", "The username is empty"),
  firstNameEmpty: entry("InvalidArgument", "USER-UCej2", "Given name in profile is empty"),
  lastNameEmpty: entry("InvalidArgument", "USER-4hB7d", "Family name in profile is empty"),
  emailInvalid: entry("InvalidArgument", "EMAIL-599BI", "Email is invalid"),
  phoneInvalid: entry("InvalidArgument", "PHONE-so0wa", "Phone is invalid"),
  passwordTooShort: entry("InvalidArgument", "COMMA-HuJf6", "Password is too short"),
  passwordNoLowercase: entry("InvalidArgument", "COMMA-co3Xw", "Password must contain lower case"),
  passwordNoUppercase: entry("InvalidArgument", "COMMA-VoaRj", "Password must contain upper case"),
  passwordNoNumber: entry("InvalidArgument", "COMMA-ZBv4H", "Password must contain number"),
  passwordNoSymbol: entry("InvalidArgument", "COMMA-ZDLwA", "Password must contain symbol"),
  profileUserNotFound: entry("PreconditionFailed", "COMMAND-3M9sd", "Profile not found"),
  profileNotChanged: entry("PreconditionFailed", "COMMAND-2M0fs", "Profile not changed"),
  profileFirstNameEmpty: entry("InvalidArgument", "PROFILE-RF5z2", "Given name in profile is empty"),
  profileLastNameEmpty: entry("InvalidArgument", "PROFILE-DSUkN", "Family name in profile is empty"),
  emailUserNotFound: entry("PreconditionFailed", "COMMAND-0Pe4r", "Email not found"),
  emailUserNotInitialised: entry("PreconditionFailed", "COMMAND-J8dsk", "User is not yet initialized"),
  emailNotChanged: entry("PreconditionFailed", "COMMAND-2b7fM", "Email not changed"),
  phoneUserNotFound: entry("PreconditionFailed", "COMMAND-3M0fs", "User could not be found"),
  phoneNotChanged: entry("PreconditionFailed", "COMMAND-wF94r", "Phone not changed"),
  removePhoneUserNotFound: entry("PreconditionFailed", "COMMAND-3M9fs", "User could not be found"),
  phoneNotFound: entry("NotFound", "COMMAND-p6rsc", "Phone not found"),
  initUserNotFound: entry("NotFound", "COMMAND-2M9df", "User could not be found"),
  userAlreadyInitialised: entry("PreconditionFailed", "COMMAND-2M9sd", "User is already initialized"),
  passwordUserNotFound: entry("PreconditionFailed", "COMMAND-3M0fs", "User could not be found"),
  passwordUserNotInitialised: entry("PreconditionFailed", "COMMAND-M9dse", "User is not yet initialized"),
  importUserNameEmpty: entry("InvalidArgument", "COMMAND-00p2b", "Username is empty"),
  importPasswordTooLong: entry("InvalidArgument", "API-pWd72", "The password is longer than 72 characters"),
  passwordHashNotSupported: entry("InvalidArgument", "USER-JDk4t", "Password hash encoding not supported"),
  passwordAndHashGiven: entry("InvalidArgument", "COMMAND-3M0fsss", "Give either a password or a hashed password, not both"),
  idpConfigNotExisting: entry("PreconditionFailed", "COMMAND-39nfs", "IDP configuration does not exist"),
  passwordlessNotSupported: entry("Unimplemented", "API-pWl3s", "Passwordless registration is not supported"),
  humanProfileNotFound: entry("NotFound", "QUERY-HNhb3", "User could not be found"),
  profileNotHuman: entry("PreconditionFailed", "QUERY-WLTce", "The User must be personal"),
  humanEmailNotFound: entry("NotFound", "QUERY-Hms2s", "User could not be found"),
  emailNotHuman: entry("PreconditionFailed", "QUERY-pt7HY", "The User must be personal"),
  humanPhoneNotFound: entry("NotFound", "QUERY-DAvb3", "User could not be found"),
  phoneNotHuman: entry("PreconditionFailed", "QUERY-hliQl", "The User must be personal"),
  orgInvalid: entry("InvalidArgument", "EVENT-Mf9sd", "Organisation is invalid"),
  orgDomainEmpty: entry("InvalidArgument", "ORG-RrfXY", "The organisation name leaves no characters for its domain"),
  orgNameTaken: entry("AlreadyExists", "V3-DKcYh", "Organisation's name or id already taken"),
  orgNotFound: entry("NotFound", "ORG-lapo2m", "Organisation not found"),
  orgNotFoundQuery: entry("NotFound", "QUERY-iTTGJ", "Organisation not found"),
  metadataUserNotFound: entry("PreconditionFailed", "COMMAND-uXHNj", "User could not be found"),
  metadataNoData: entry("PreconditionFailed", "META-9mm2d", "No metadata given"),
  metadataInvalid: entry("InvalidArgument", "META-2m00f", "Metadata is invalid: it needs a key and a value"),
  metadataKeyInvalid: entry("InvalidArgument", "META-2n0fs", "Metadata is invalid: the key is empty"),
  metadataBulkKeyInvalid: entry("InvalidArgument", "COMMAND-m29ds", "Metadata is invalid: a key is empty"),
  metadataNotFound: entry("NotFound", "META-ncnw3", "Metadata not found"),
  metadataKeyNotExisting: entry("NotFound", "META-2nnds", "Metadata key does not exist"),
  metadataNotFoundQuery: entry("NotFound", "QUERY-Rgh32", "Metadata not found"),
  metadataQueryInvalid: entry("InvalidArgument", "METAD-fdg23", "List query is invalid"),
  metadataNotChanged: entry("PreconditionFailed", "API-mEtnC", "Metadata has not been changed"),
  metadataLimitExceeded: entry("ResourceExhausted", "API-mEtlX", "The user's metadata would exceed its limits"),
  metadataTooManyQueries: entry("InvalidArgument", "API-mEtqS", "Too many metadata queries"),
  memberInvalid: entry("InvalidArgument", "Org-W8m4l", "Member is invalid: it needs at least one role"),
  memberRolesInvalid: entry("InvalidArgument", "Org-4N8es", "Member is invalid: unknown org role"),
  memberUserNotFound: entry("PreconditionFailed", "ORG-GoXOn", "User could not be found"),
  memberTooManyRoles: entry("InvalidArgument", "API-mEmRl", "Member is invalid: at most 50 roles"),
  expirationInPast: entry("InvalidArgument", "API-Pe3xp", "The expiration date is in the past"),
  machineKeyExpirationInPast: entry("InvalidArgument", "DOMAIN-dv3t5", "The expiration date is in the past"),
  machineKeyInvalid: entry("InvalidArgument", "COMMAND-5F3h1", "The public key is not an RSA public key in PEM (PKIX) form"),
  machineKeySize: entry("InvalidArgument", "API-kEySz", "The public key must be an RSA key of 2048 to 8192 bits"),
  machineKeyUserNotFound: entry("PreconditionFailed", "COMMAND-bnipwm1", "User could not be found"),
  machineKeyNotFound: entry("NotFound", "COMMAND-4m77G", "Machine key not found"),
  machineKeyNotFoundQuery: entry("NotFound", "QUERY-Dgr3g", "AuthN Key not found"),
  personalAccessTokenNotFound: entry("NotFound", "COMMAND-4m77G", "Personal access token not found"),
  personalAccessTokenNotFoundQuery: entry("NotFound", "QUERY-fRunu", "Personal access token not found"),
  memberAlreadyExists: entry("AlreadyExists", "V3-DKcYh", "Member already exists"),
  tokenInvalid: entry("Unauthenticated", "AUTH-7fs1e", "Token is invalid"),
  authHeaderInvalid: entry("Unauthenticated", "AUTH-7fs1e", "invalid auth header"),
  orgNotAccessible: entry("PermissionDenied", "AUTH-Bs7Ds", "Organisation doesn't exist"),
  permissionDenied: entry("PermissionDenied", "AUTH-5mWD2", "No matching permissions found"),
  userOutranksCaller: entry("PermissionDenied", "API-Esc4l", "The user holds a role the caller does not hold"),
  roleNotHeld: entry("PermissionDenied", "API-Gr4nt", "A role can only be granted by someone who holds it"),
  userIdReserved: entry("InvalidArgument", "API-rSv1d", "The user id is reserved"),
  tooManyStreams: entry("ResourceExhausted", "API-sTr3m", "Too many open event streams"),
  accessTokenNotActive: entry("PreconditionFailed", "API-Rv0kd", "The access token is not active"),
  listLimitExceeded: entry("InvalidArgument", "QUERY-4M0fs", "The limit is too high"),
  userQueryTooDeep: entry("InvalidArgument", "USER-zsQ97", "Too many nesting levels"),
  userQueryInvalid: entry("InvalidArgument", "GRPC-vR9nC", "List query is invalid"),
  userQueryTooLarge: entry("InvalidArgument", "API-uSq7t", "Too many user search queries"),
  userSearchTooCostly: entry("InvalidArgument", "API-uSq8c", "The user search would read too many users: make its terms longer or fewer"),
  changesNotFound: entry("NotFound", "QUERY-FpQqK", "No history found"),
  webhookTargetInvalid: entry("InvalidArgument", "WEBHOOK-x9Tq2", "The webhook target is invalid"),
  webhookTargetExists: entry("AlreadyExists", "WEBHOOK-Ae7Lk", "The webhook target already exists"),
  webhookTargetLimit: entry("PreconditionFailed", "WEBHOOK-tL1mt", "The instance has as many webhook targets as it may have"),
  webhookTargetNotFound: entry("NotFound", "WEBHOOK-n0Tf4", "Webhook target not found"),
  deadLetterPageInvalid: entry("InvalidArgument", "WEBHOOK-pG1nv", "The dead-letter page is invalid"),
  deadLetterNotFound: entry("NotFound", "WEBHOOK-dL4nf", "Dead letter not found"),
  redriveFailed: entry("Unavailable", "WEBHOOK-rD1vf", "The target did not accept the event"),
  unavailable: entry("Unavailable", "API-mU8fR", "The service is temporarily unavailable"),
  eventStoreAccessDenied: entry("Internal", "API-eSd4c", "The event store denied the service access"),
  streamDeleted: entry("PreconditionFailed", "API-sTd3l", "The aggregate's stream was deleted from the event store"),
  eventsTooLarge: entry("InvalidArgument", "API-eTl2g", "The events are too large to be stored in one append"),
  internal: entry("Internal", "API-iN7Lp", "An internal error occurred"),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof catalogue;

export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly category: ErrorCategory;
  readonly id: string;

  constructor(which: ErrorName, message?: string) {
    const { category, id, message: standard } = catalogue[which];
    super(message ?? standard);
    this.category = category;
    this.id = id;
  }
}

/**
 * A request broke a `validate.rules` constraint of its proto, or arrived without credentials:
 * ZITADEL answers these as a bare gRPC status, without an error id.
 */
export class StatusError extends Error {
  override readonly name = "StatusError";
  constructor(
    readonly category: ErrorCategory,
    message: string,
  ) {
    super(message);
  }
}

export const fail = (which: ErrorName, message?: string): never => {
  throw new DomainError(which, message);
};
