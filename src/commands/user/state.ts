import type { Evolving } from "../decider.js";
import type { AccessTokenType, UserEvent } from "../../events/user.js";

export type UserState =
  | { readonly kind: "absent" }
  | {
      readonly kind: "machine";
      readonly resourceOwner: string;
      readonly userName: string;
      readonly name: string;
      readonly description: string;
      readonly accessTokenType: AccessTokenType;
      /** Ids of the machine keys not removed. */
      readonly keyIds: readonly string[];
    }
  | { readonly kind: "human"; readonly resourceOwner: string; readonly userName: string };

export const initialUserState = (): UserState => ({ kind: "absent" });

/** Reduces only what the user commands decide on; everything else leaves the state as it is. */
export function evolveUser(state: UserState, event: Evolving<UserEvent>): UserState {
  switch (event.type) {
    case "user.machine.added":
      return {
        kind: "machine",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        name: event.data.name,
        description: event.data.description ?? "",
        accessTokenType: event.data.accessTokenType ?? 0,
        keyIds: [],
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
      return { kind: "human", resourceOwner: event.metadata.resourceOwner, userName: event.data.userName };
    case "user.machine.key.added":
      return state.kind === "machine" ? { ...state, keyIds: [...state.keyIds, event.data.keyId] } : state;
    case "user.machine.key.removed":
      return state.kind === "machine" ? { ...state, keyIds: state.keyIds.filter((id) => id !== event.data.keyId) } : state;
    case "user.machine.secret.set":
    case "user.human.email.verified":
    case "user.human.phone.verified":
    case "user.human.initialization.code.added":
    case "user.personal.access.token.added":
      return state;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
