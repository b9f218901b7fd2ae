import type { Evolving } from "../decider.js";
import type { AccessTokenType, Gender, UserEvent } from "../../events/user.js";
import type { UserStateName } from "../../projections/views.js";

/**
 * Where a user stands in its life, as ZITADEL's UserState without the two that are not states of
 * an existing user (UNSPECIFIED, DELETED: see `removed` below). A human who still has to
 * initialize (an initialization code is pending) is INITIAL while `active`.
 */
export type Lifecycle = "active" | "inactive" | "locked";

interface Existing {
  readonly resourceOwner: string;
  readonly userName: string;
  readonly lifecycle: Lifecycle;
}

export type UserState =
  | { readonly kind: "absent" }
  /** Gone for good: 404 to every command, and its id is never given out again. */
  | { readonly kind: "removed"; readonly resourceOwner: string }
  | (Existing & {
      readonly kind: "machine";
      readonly name: string;
      readonly description: string;
      readonly accessTokenType: AccessTokenType;
    })
  | (Existing & {
      readonly kind: "human";
      readonly initialized: boolean;
      readonly profile: HumanProfile;
      readonly email: string;
      readonly isEmailVerified: boolean;
      /** "" when the human has none. */
      readonly phone: string;
      readonly isPhoneVerified: boolean;
    });

/** What UpdateHumanProfile replaces, as ZITADEL's profile write model holds it. */
export interface HumanProfile {
  readonly firstName: string;
  readonly lastName: string;
  readonly nickName: string;
  readonly displayName: string;
  readonly preferredLanguage: string;
  readonly gender: Gender;
}

export type HumanState = Extract<UserState, { kind: "human" }>;

export type ExistingUser = Extract<UserState, { kind: "machine" | "human" }>;

export const initialUserState = (): UserState => ({ kind: "absent" });

export const exists = (state: UserState): state is ExistingUser => state.kind === "machine" || state.kind === "human";

/** ZITADEL's user state names, as the API shows them. */
export function userStateName(state: ExistingUser): UserStateName {
  if (state.lifecycle === "inactive") return "USER_STATE_INACTIVE";
  if (state.lifecycle === "locked") return "USER_STATE_LOCKED";
  return state.kind === "human" && !state.initialized ? "USER_STATE_INITIAL" : "USER_STATE_ACTIVE";
}

/** Reduces only what the user commands decide on; everything else leaves the state as it is. */
export function evolveUser(state: UserState, event: Evolving<UserEvent>): UserState {
  switch (event.type) {
    case "user.machine.added":
      return {
        kind: "machine",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        lifecycle: "active",
        name: event.data.name,
        description: event.data.description ?? "",
        accessTokenType: event.data.accessTokenType ?? 0,
      };
    case "user.machine.changed":
      if (state.kind !== "machine") return state;
      return {
        ...state,
        name: event.data.name ?? state.name,
        description: event.data.description ?? state.description,
        accessTokenType: event.data.accessTokenType ?? state.accessTokenType,
      };
    case "user.human.added":
      return {
        kind: "human",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        lifecycle: "active",
        initialized: true,
        profile: {
          firstName: event.data.firstName,
          lastName: event.data.lastName,
          nickName: event.data.nickName ?? "",
          displayName: event.data.displayName ?? "",
          preferredLanguage: event.data.preferredLanguage ?? "",
          gender: event.data.gender ?? 0,
        },
        email: event.data.email,
        isEmailVerified: false,
        phone: event.data.phone ?? "",
        isPhoneVerified: false,
      };
    case "user.human.profile.changed":
      return state.kind === "human" ? { ...state, profile: { ...state.profile, ...event.data } } : state;
    case "user.human.email.changed":
      return state.kind === "human" ? { ...state, email: event.data.email, isEmailVerified: false } : state;
    case "user.human.email.verified":
      return state.kind === "human" ? { ...state, isEmailVerified: true } : state;
    case "user.human.phone.changed":
      return state.kind === "human" ? { ...state, phone: event.data.phone, isPhoneVerified: false } : state;
    case "user.human.phone.verified":
      return state.kind === "human" ? { ...state, isPhoneVerified: true } : state;
    case "user.human.phone.removed":
      return state.kind === "human" ? { ...state, phone: "", isPhoneVerified: false } : state;
    case "user.human.initialization.code.added":
      return state.kind === "human" ? { ...state, initialized: false } : state;
    case "user.deactivated":
      return exists(state) ? { ...state, lifecycle: "inactive" } : state;
    case "user.locked":
      return exists(state) ? { ...state, lifecycle: "locked" } : state;
    case "user.reactivated":
    case "user.unlocked":
      return exists(state) ? { ...state, lifecycle: "active" } : state;
    case "user.username.changed":
      return exists(state) ? { ...state, userName: event.data.userName } : state;
    case "user.removed":
      return { kind: "removed", resourceOwner: event.metadata.resourceOwner };
    case "user.machine.secret.set":
    case "user.personal.access.token.added":
    // Codes and passwords decide nothing here; and, as in ZITADEL, setting a password does not
    // initialize a human (only redeeming its initialization code does).
    case "user.human.email.code.added":
    case "user.human.phone.code.added":
    case "user.human.password.changed":
      return state;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
