import { applicableTo, foreignEvent, type Evolving } from "../decider.js";
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
    }
  | { readonly kind: "human"; readonly resourceOwner: string; readonly userName: string };

export const initialUserState = (): UserState => ({ kind: "absent" });

/**
 * Reduces what the user commands decide on. Every event names the kinds of user it applies to
 * (`absent` for a creation) and is refused on any other.
 */
export function evolveUser(state: UserState, event: Evolving<UserEvent>): UserState {
  switch (event.type) {
    case "user.machine.added":
      applicableTo(state, event, "absent");
      return {
        kind: "machine",
        resourceOwner: event.metadata.resourceOwner,
        userName: event.data.userName,
        name: event.data.name,
        description: event.data.description ?? "",
        accessTokenType: event.data.accessTokenType ?? 0,
      };
    case "user.machine.changed": {
      const machine = applicableTo(state, event, "machine");
      return {
        ...machine,
        name: event.data.name ?? machine.name,
        description: event.data.description ?? machine.description,
        accessTokenType: event.data.accessTokenType ?? machine.accessTokenType,
      };
    }
    case "user.human.added":
      applicableTo(state, event, "absent");
      return { kind: "human", resourceOwner: event.metadata.resourceOwner, userName: event.data.userName };
    case "user.machine.secret.set":
    case "user.personal.access.token.added":
      return applicableTo(state, event, "machine");
    case "user.human.email.verified":
    case "user.human.phone.verified":
    case "user.human.initialization.code.added":
      return applicableTo(state, event, "human");
    default:
      return foreignEvent(event);
  }
}
