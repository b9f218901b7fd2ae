import type { UserAccess } from "../auth/userAccess.js";
import type { CodeGenerator } from "../crypto/codes.js";
import { DomainError, fail } from "../errors.js";
import type { EventStore } from "../events/eventStore.js";
import { INSTANCE_STREAM } from "../events/instance.js";
import { orgStream } from "../events/org.js";
import type { AccessTokenType, Gender } from "../events/user.js";
import { userStream } from "../events/user.js";
import { detailsOf, type ObjectDetails } from "./details.js";
import { handleCommand, type CommandContext, type CommandResult } from "./handleCommand.js";
import { instanceDecider } from "./instance/decider.js";
import { orgDecider, type OrgCommand, type OrgState } from "./org/decider.js";
import { orgDomainName } from "./org/orgDomainName.js";
import { MAX_MEMBER_ROLES } from "./org/roles.js";
import { userDecider, type UserCommand } from "./user/decider.js";
import { normalizeEmail, normalizePhone } from "./user/contact.js";
import { checkPasswordComplexity } from "./user/passwordComplexity.js";
import { machineKeyFile, newMachineKeyPair, rsaPublicKeyPem } from "./user/machineKeyPair.js";
import { hashPassword, newClientSecret, sha256Hash, type CodeKind, type PasswordHashing } from "./user/secrets.js";
import { checkImportedHash } from "./user/importedHashes.js";
import type { LifecycleCommandType } from "./user/lifecycle.js";
import type { RemoveUserMetadata } from "./user/metadata.js";
import { exists, type HumanProfile, type UserState } from "./user/state.js";
import type { Erasure } from "../privacy/erasure.js";

export interface CommandsConfig {
  readonly store: EventStore;
  readonly instanceId: string;
  /** The instance's domain; org domains are `<org>.<externalDomain>`. */
  readonly externalDomain: string;
  readonly newId: () => string;
  readonly now: () => Date;
  readonly passwordHashing: PasswordHashing;
  /** Who may act on whom (no escalation); the first-instance setup acts as the system. */
  readonly access: UserAccess;
  /** One-time codes by kind, encrypted under the codes key (src/crypto/codes.ts). */
  readonly codes: Readonly<Record<CodeKind, CodeGenerator>>;
  /** Crypto-shredding of a removed user's personal data (src/privacy/erasure.ts). */
  readonly erasure: Erasure;
}

/** Who is acting and in which organization. */
export interface Caller {
  readonly userId: string;
  readonly orgId: string;
  readonly correlationId: string;
}

/** The editor of what the instance does by itself (first-instance setup). */
export const SYSTEM_USER_ID = "SYSTEM";

/** ZITADEL's default expiration of a key without one (domain.ValidateExpirationDate). */
const MACHINE_KEY_DEFAULT_EXPIRATION = "9999-12-31T23:59:59.000Z";

/** The write side, as ZITADEL's `command.Commands`: one method per use case. */
export function createCommands(config: CommandsConfig) {
  const { store } = config;
  const context = (caller: Caller): CommandContext => ({
    instanceId: config.instanceId,
    editorUser: caller.userId,
    correlationId: caller.correlationId,
    now: config.now,
  });
  // Every command on a user goes through here, and so through the no-escalation check.
  const onUser = (caller: Caller, userId: string, command: UserCommand, beforeAppend?: () => Promise<void>) =>
    handleCommand(
      store,
      userDecider,
      userStream(userId),
      command,
      (s: UserState) => (s.kind === "absent" ? caller.orgId : s.resourceOwner),
      context(caller),
      (s) => {
        if (s.kind === "absent") return config.access.assertMayManage(caller, { userId }, command.type);
        // A user of another org is NotFound, with the command's own id, before its roles are looked
        // at: a 403 for some foreign users and a 404 for others would tell which hold roles.
        if (s.resourceOwner !== caller.orgId) userDecider.decide(command, s);
        return config.access.assertMayManage(caller, { userId, homeOrg: s.resourceOwner }, command.type);
      },
      beforeAppend,
    );
  // Ids that stand for the system itself in event metadata (editors, aggregates): a user who took
  // one would appear as the author of the system's own events.
  const reservedIds = new Set([SYSTEM_USER_ID.toLowerCase(), config.instanceId.toLowerCase()]);
  // A fresh code as a code event holds it: encrypted, with its lifetime in nanoseconds. The code
  // itself goes nowhere: idledger has no notification channel to deliver it yet.
  const issueCode = (kind: CodeKind) => {
    const { value, expiryNanos } = config.codes[kind].newCode();
    return { code: value, expiry: expiryNanos };
  };
  const onOrg = (caller: Caller, orgId: string, command: OrgCommand) =>
    handleCommand(store, orgDecider, orgStream(orgId), command, (_: OrgState) => orgId, context(caller));

  return {
    async addMachineUser(
      caller: Caller,
      input: { userId?: string; userName: string; name: string; description: string; accessTokenType: AccessTokenType },
    ): Promise<{ userId: string; details: ObjectDetails }> {
      if (!input.name.trim()) fail("machineNameEmpty");
      const userName = input.userName.trim();
      if (!userName) fail("userInvalid");
      if (input.userId && reservedIds.has(input.userId.toLowerCase())) fail("userIdReserved");
      const userId = input.userId || config.newId();
      const result = await onUser(caller, userId, { type: "AddMachineUser", ...input, userName });
      return { userId, details: details(result) };
    },

    async changeMachine(
      caller: Caller,
      userId: string,
      input: { name: string; description: string; accessTokenType: AccessTokenType },
    ): Promise<{ details: ObjectDetails }> {
      if (!input.name.trim()) fail("machineNameEmpty");
      const result = await onUser(caller, userId, { type: "ChangeMachine", resourceOwner: caller.orgId, ...input });
      return { details: details(result) };
    },

    async generateMachineSecret(caller: Caller, userId: string): Promise<{ clientId: string; clientSecret: string; details: ObjectDetails }> {
      const clientSecret = newClientSecret();
      const result = await onUser(caller, userId, {
        type: "SetMachineSecret",
        resourceOwner: caller.orgId,
        hashedSecret: sha256Hash(clientSecret),
      });
      const clientId = result.state.kind === "machine" ? result.state.userName : userId;
      return { clientId, clientSecret, details: details(result) };
    },

    /** ZITADEL's RemoveMachineSecret: the secret stops working at once (the read model forgets its hash). */
    async removeMachineSecret(caller: Caller, userId: string): Promise<{ details: ObjectDetails }> {
      return { details: details(await onUser(caller, userId, { type: "RemoveMachineSecret", resourceOwner: caller.orgId })) };
    },

    async addHumanUser(
      caller: Caller,
      input: {
        userName: string;
        profile: { firstName: string; lastName: string; nickName: string; displayName: string; preferredLanguage: string; gender: Gender };
        email: { email: string; isEmailVerified: boolean };
        phone: { phone: string; isPhoneVerified: boolean };
        initialPassword: string;
      },
    ): Promise<{ userId: string; details: ObjectDetails }> {
      const { initialPassword, ...human } = input;
      const userName = human.userName.trim();
      if (!userName) fail("userNameEmpty");
      const profile = { ...human.profile, firstName: human.profile.firstName.trim(), lastName: human.profile.lastName.trim() };
      if (!profile.firstName) fail("firstNameEmpty");
      if (!profile.lastName) fail("lastNameEmpty");
      const email = { ...human.email, email: normalizeEmail(human.email.email) };
      const phone = human.phone.phone ? { ...human.phone, phone: normalizePhone(human.phone.phone) } : human.phone;
      if (initialPassword) checkPasswordComplexity(initialPassword);
      const encodedHash = initialPassword ? await hashPassword(initialPassword, config.passwordHashing) : undefined;
      const userId = config.newId();
      const initCode = config.codes.initialization.newCode();
      const result = await onUser(caller, userId, {
        type: "AddHumanUser",
        userName,
        profile,
        email,
        phone,
        ...(encodedHash ? { encodedHash } : {}),
        initCode: initCode.value,
        initCodeExpiryNanos: initCode.expiryNanos,
      });
      return { userId, details: details(result) };
    },

    async addPersonalAccessToken(
      caller: Caller,
      userId: string,
      input: { token: string; expiration: string; scopes?: readonly string[] },
    ): Promise<{ tokenId: string; details: ObjectDetails }> {
      if (!(Date.parse(input.expiration) > config.now().getTime())) fail("expirationInPast");
      const tokenId = config.newId();
      const result = await onUser(caller, userId, {
        type: "AddPersonalAccessToken",
        resourceOwner: caller.orgId,
        tokenId,
        tokenHash: sha256Hash(input.token),
        expiration: input.expiration,
        scopes: input.scopes ?? ["openid"],
      });
      return { tokenId, details: details(result) };
    },

    /** ZITADEL's RemovePersonalAccessToken: the token is refused from the next request on. */
    async removePersonalAccessToken(caller: Caller, userId: string, tokenId: string): Promise<{ details: ObjectDetails }> {
      return { details: details(await onUser(caller, userId, { type: "RemovePersonalAccessToken", resourceOwner: caller.orgId, tokenId })) };
    },

    /** SetUserMetadata (one entry) and BulkSetUserMetadata: values are bytes. */
    async setUserMetadata(caller: Caller, userId: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<{ details: ObjectDetails }> {
      const encoded = entries.map(({ key, value }) => ({ key, value: Buffer.from(value).toString("base64") }));
      return { details: details(await onUser(caller, userId, { type: "SetUserMetadata", resourceOwner: caller.orgId, entries: encoded })) };
    },

    /** RemoveUserMetadata (one key) and BulkRemoveUserMetadata. */
    async removeUserMetadata(caller: Caller, userId: string, type: RemoveUserMetadata["type"], keys: readonly string[]): Promise<{ details: ObjectDetails }> {
      return { details: details(await onUser(caller, userId, { type, resourceOwner: caller.orgId, keys })) };
    },

    /** DeactivateUser, ReactivateUser, LockUser, UnlockUser: ZITADEL's state changes. */
    async changeUserState(caller: Caller, userId: string, type: LifecycleCommandType): Promise<{ details: ObjectDetails }> {
      return { details: details(await onUser(caller, userId, { type, resourceOwner: caller.orgId })) };
    },

    async changeUserName(caller: Caller, userId: string, input: { userName: string }): Promise<{ details: ObjectDetails }> {
      const userName = input.userName.trim();
      if (!userName) fail("userNameMissing");
      return { details: details(await onUser(caller, userId, { type: "ChangeUserName", resourceOwner: caller.orgId, userName })) };
    },

    /**
     * ZITADEL's RemoveUser: `user.removed` (the userName is free again at once), then the user's
     * memberships (`memberships`: the scopes it is a member of, as the caller read them) are
     * removed from each org and the instance, as ZITADEL's cascade does. Those are appends of their
     * own after the user's: should the process die in between, the read model has dropped the
     * removed user's memberships already (src/projections/reducers/access.ts).
     */
    async removeUser(caller: Caller, userId: string, memberships: readonly string[]): Promise<{ details: ObjectDetails }> {
      const actor = { editorUser: caller.userId, correlationId: caller.correlationId, now: config.now };
      // The key is marked once the removal is authorized and decided, right before it is appended
      // (src/privacy/erasure.ts): a crash after that still erases it at the next start.
      let keyed = false;
      let result: CommandResult<UserState>;
      try {
        result = await onUser(caller, userId, { type: "RemoveUser", resourceOwner: caller.orgId }, async () => {
          keyed = await config.erasure.mark(userId);
        });
      } catch (error) {
        // The append failed after the mark: a removal recorded all the same (its answer lost) is
        // erased now if the log shows it; otherwise the erasure refuses, and the mark waits.
        if (keyed) await config.erasure.erase(userId, actor).catch(() => {});
        // The user is gone already: an erasure an earlier removal left undone (its key still
        // marked) is carried through, in the system's name (this caller did not remove the user).
        else if (error instanceof DomainError && error.category === "NotFound") {
          await config.erasure.finishIfMarked(userId, { ...actor, editorUser: SYSTEM_USER_ID }).catch(() => {});
        }
        throw error;
      }
      if (keyed) await config.erasure.erase(userId, actor);
      const removal = result.appended[0]!;
      const cascade = { ...context(caller), causationId: removal.id };
      for (const scope of memberships) {
        if (scope === "instance") {
          await handleCommand(store, instanceDecider, INSTANCE_STREAM, { type: "CascadeRemoveInstanceMember", userId }, () => "", cascade);
        } else {
          await handleCommand(store, orgDecider, orgStream(scope), { type: "CascadeRemoveOrgMember", userId }, () => scope, cascade);
        }
      }
      return { details: details(result) };
    },

    /**
     * Erasure of a user removed already (RemoveUser erases by itself): its key is deleted and
     * `user.personal.data.erased` appended; erasing again changes nothing. The no-escalation check
     * does not apply: the user and its roles are gone, and only an instance admin may call this.
     */
    async erasePersonalData(caller: Caller, userId: string): Promise<{ details: ObjectDetails }> {
      return { details: details(await config.erasure.erase(userId, { editorUser: caller.userId, correlationId: caller.correlationId, now: config.now })) };
    },

    /**
     * ZITADEL's AddMachineKey: with `publicKey` that key is stored; without, an RSA-2048 pair is
     * generated and its key file (private key included) returned this once. Only public keys are kept.
     */
    async addMachineKey(
      caller: Caller,
      userId: string,
      input: { expirationDate?: Date; publicKey?: Uint8Array },
    ): Promise<{ keyId: string; keyFile?: string; details: ObjectDetails }> {
      const publicKeyPem = input.publicKey?.length ? rsaPublicKeyPem(input.publicKey) : undefined;
      if (input.expirationDate && input.expirationDate.getTime() < config.now().getTime()) fail("machineKeyExpirationInPast");
      const expirationDate = input.expirationDate?.toISOString() ?? MACHINE_KEY_DEFAULT_EXPIRATION;
      const pair: { publicKeyPem: string; privateKeyPem?: string } = publicKeyPem ? { publicKeyPem } : await newMachineKeyPair();
      const keyId = config.newId();
      const result = await onUser(caller, userId, {
        type: "AddMachineKey",
        resourceOwner: caller.orgId,
        keyId,
        expirationDate,
        publicKeyPem: pair.publicKeyPem,
      });
      return {
        keyId,
        ...(pair.privateKeyPem ? { keyFile: machineKeyFile(keyId, pair.privateKeyPem, expirationDate, userId) } : {}),
        details: details(result),
      };
    },

    async removeMachineKey(caller: Caller, userId: string, keyId: string): Promise<{ details: ObjectDetails }> {
      const result = await onUser(caller, userId, { type: "RemoveMachineKey", resourceOwner: caller.orgId, keyId });
      return { details: details(result) };
    },

    /** UpdateHumanProfile: the whole profile is given; names are trimmed and must not be blank. */
    async changeHumanProfile(caller: Caller, userId: string, input: HumanProfile): Promise<{ details: ObjectDetails }> {
      const profile = namedProfile(input);
      return { details: details(await onUser(caller, userId, { type: "ChangeHumanProfile", resourceOwner: caller.orgId, profile })) };
    },

    async changeHumanEmail(caller: Caller, userId: string, input: { email: string; isEmailVerified: boolean }): Promise<{ details: ObjectDetails }> {
      const command = { ...input, email: normalizeEmail(input.email), code: issueCode("emailVerification") };
      return { details: details(await onUser(caller, userId, { type: "ChangeHumanEmail", resourceOwner: caller.orgId, ...command })) };
    },

    async changeHumanPhone(caller: Caller, userId: string, input: { phone: string; isPhoneVerified: boolean }): Promise<{ details: ObjectDetails }> {
      const command = { ...input, phone: normalizePhone(input.phone), code: issueCode("phoneVerification") };
      return { details: details(await onUser(caller, userId, { type: "ChangeHumanPhone", resourceOwner: caller.orgId, ...command })) };
    },

    async removeHumanPhone(caller: Caller, userId: string): Promise<{ details: ObjectDetails }> {
      return { details: details(await onUser(caller, userId, { type: "RemoveHumanPhone", resourceOwner: caller.orgId })) };
    },

    /** ResendHumanInitialization: `email` "" keeps the address. */
    async resendHumanInitialization(caller: Caller, userId: string, input: { email: string }): Promise<{ details: ObjectDetails }> {
      const email = input.email ? normalizeEmail(input.email) : "";
      const command = { type: "ResendHumanInitialization" as const, resourceOwner: caller.orgId, email, code: issueCode("initialization") };
      return { details: details(await onUser(caller, userId, command)) };
    },

    /** SetHumanPassword, and SetHumanInitialPassword with `changeRequired` true: checked against the policy, stored as scrypt. */
    async setHumanPassword(caller: Caller, userId: string, input: { password: string; changeRequired: boolean }): Promise<{ details: ObjectDetails }> {
      checkPasswordComplexity(input.password);
      const encodedHash = await hashPassword(input.password, config.passwordHashing);
      const command = { type: "SetHumanPassword" as const, resourceOwner: caller.orgId, encodedHash, changeRequired: input.changeRequired };
      return { details: details(await onUser(caller, userId, command)) };
    },

    /**
     * ImportHumanUser: a plain `password` passes the complexity policy and is hashed with scrypt; a
     * `hashedPassword` is kept in its own encoding when it is one idledger can verify
     * (src/commands/user/importedHashes.ts). Passwordless registration and IdP links need features
     * idledger does not have and are refused.
     */
    async importHumanUser(
      caller: Caller,
      input: {
        userName: string;
        profile: HumanProfile;
        email: { email: string; isEmailVerified: boolean };
        phone: { phone: string; isPhoneVerified: boolean };
        password: string;
        hashedPassword: string;
        passwordChangeRequired: boolean;
        requestPasswordlessRegistration: boolean;
        idpLinks: number;
      },
    ): Promise<{ userId: string; details: ObjectDetails }> {
      const userName = input.userName.trim();
      if (!userName) fail("importUserNameEmpty");
      const profile = namedProfile(input.profile);
      const email = { ...input.email, email: normalizeEmail(input.email.email) };
      const phone = input.phone.phone ? { ...input.phone, phone: normalizePhone(input.phone.phone) } : input.phone;
      if (input.requestPasswordlessRegistration) fail("passwordlessNotSupported");
      if (input.idpLinks > 0) fail("idpConfigNotExisting");
      if (input.password && input.hashedPassword) fail("passwordAndHashGiven");
      if ([...input.password].length > 72) fail("importPasswordTooLong");
      if (input.password) checkPasswordComplexity(input.password);
      if (input.hashedPassword) checkImportedHash(input.hashedPassword);
      const encodedHash = input.password ? await hashPassword(input.password, config.passwordHashing) : input.hashedPassword;
      const userId = config.newId();
      const result = await onUser(caller, userId, {
        type: "ImportHumanUser",
        userName,
        profile: { ...profile, displayName: profile.displayName || `${profile.firstName} ${profile.lastName}` },
        email,
        phone,
        ...(encodedHash ? { encodedHash } : {}),
        // ZITADEL keeps an imported hash without a required change.
        changeRequired: input.password ? input.passwordChangeRequired : false,
        initCode: issueCode("initialization"),
        phoneCode: issueCode("phoneVerification"),
      });
      return { userId, details: details(result) };
    },

    /** The new org's owner is the caller unless `ownerId` names another user. */
    async addOrg(caller: Caller, input: { name: string; orgId?: string; ownerId?: string }): Promise<{ orgId: string; details: ObjectDetails }> {
      if (!input.name.trim()) fail("orgInvalid");
      const orgId = input.orgId ?? config.newId();
      const result = await onOrg(caller, orgId, {
        type: "AddOrg",
        name: input.name.trim(),
        domain: orgDomainName(input.name, config.externalDomain),
        ownerId: input.ownerId ?? caller.userId,
      });
      return { orgId, details: details(result) };
    },

    async addOrgMember(caller: Caller, orgId: string, input: { userId: string; roles: readonly string[] }): Promise<{ details: ObjectDetails }> {
      if (input.roles.length > MAX_MEMBER_ROLES) fail("memberTooManyRoles");
      // ZITADEL's ExistsUser: a user that was never added or was removed cannot become a member.
      const user = (await store.readStream(userStream(input.userId))).reduce((s, e) => userDecider.evolve(s, e as never), userDecider.initialState());
      if (!exists(user)) fail("memberUserNotFound");
      await config.access.assertMayGrant(caller, orgId, input.roles);
      const result = await onOrg(caller, orgId, { type: "AddOrgMember", ...input });
      return { details: details(result) };
    },
  };
}

export type Commands = ReturnType<typeof createCommands>;

function namedProfile(profile: HumanProfile): HumanProfile {
  const named = { ...profile, firstName: profile.firstName.trim(), lastName: profile.lastName.trim() };
  if (!named.firstName) fail("profileFirstNameEmpty");
  if (!named.lastName) fail("profileLastNameEmpty");
  return named;
}

function details(result: CommandResult<unknown>): ObjectDetails {
  const last = result.appended.at(-1) ?? result.first;
  return detailsOf(result.first, last);
}
