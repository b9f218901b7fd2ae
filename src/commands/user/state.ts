import type { Evolving } from "../decider.js";
import type { AccessTokenType, UserEvent } from "../../events/user.js";
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
  /** Metadata key -> value (base64), as the user's events set them. */
  readonly metadata: ReadonlyMap<string, string>;
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
      /** Whether a client secret is set (its hash is in the event, never in the state). */
      readonly hasSecret: boolean;
      /** Ids of the personal access tokens not removed. */
      readonly tokenIds: readonly string[];
    })
  | (Existing & { readonly kind: "human"; readonly initialized: boolean });

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
        metadata: new Map(),
        name: event.data.name,
        description: event.data.description ?? "",
        accessTokenType: event.data.accessTokenType ?? 0,
        hasSecret: false,
        tokenIds: [],
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
      return { kind: "human", resourceOwner: event.metadata.resourceOwner, userName: event.data.userName, lifecycle: "active", metadata: new Map(), initialized: true };
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
      return state.kind === "machine" ? { ...state, hasSecret: true } : state;
    case "user.machine.secret.removed":
      return state.kind === "machine" ? { ...state, hasSecret: false } : state;
    case "user.personal.access.token.added":
      return state.kind === "machine" ? { ...state, tokenIds: [...state.tokenIds, event.data.tokenId] } : state;
    case "user.pat.removed":
      return state.kind === "machine" ? { ...state, tokenIds: state.tokenIds.filter((id) => id !== event.data.tokenId) } : state;
    case "user.metadata.set":
      return exists(state) ? { ...state, metadata: new Map(state.metadata).set(event.data.key, event.data.value) } : state;
    case "user.metadata.removed": {
      if (!exists(state)) return state;
      const metadata = new Map(state.metadata);
      metadata.delete(event.data.key);
      return { ...state, metadata };
    }
    case "user.human.email.verified":
    case "user.human.phone.verified":
      return state;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
