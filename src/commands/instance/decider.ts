import { applicableTo, foreignEvent, type Decider } from "../decider.js";
import { fail } from "../../errors.js";
import type { InstanceAdded, InstanceEvent } from "../../events/instance.js";

export type InstanceState =
  | { readonly kind: "absent" }
  | { readonly kind: "added"; readonly setup: InstanceAdded; readonly members: ReadonlySet<string> };

export type InstanceCommand =
  | { readonly type: "AddInstance"; readonly setup: InstanceAdded }
  | { readonly type: "AddInstanceMember"; readonly userId: string; readonly roles: readonly string[] }
  | { readonly type: "CascadeRemoveInstanceMember"; readonly userId: string };

export const instanceDecider: Decider<InstanceState, InstanceCommand, InstanceEvent> = {
  initialState: () => ({ kind: "absent" }),
  evolve(state, event) {
    switch (event.type) {
      case "instance.added":
        applicableTo(state, event, "absent");
        return { kind: "added", setup: event.data, members: new Set() };
      case "instance.member.added": {
        const instance = applicableTo(state, event, "added");
        return { ...instance, members: new Set([...instance.members, event.data.userId]) };
      }
      case "instance.member.cascade.removed": {
        const instance = applicableTo(state, event, "added");
        return { ...instance, members: new Set([...instance.members].filter((id) => id !== event.data.userId)) };
      }
      default:
        return foreignEvent(event);
    }
  },
  decide(command, state) {
    switch (command.type) {
      case "AddInstance":
        if (state.kind !== "absent") return fail("internal", "instance is already set up");
        return { events: [{ type: "instance.added", data: command.setup }] };
      case "AddInstanceMember":
        if (state.kind !== "added") return fail("internal", "instance is not set up");
        if (state.members.has(command.userId)) return fail("memberAlreadyExists");
        return { events: [{ type: "instance.member.added", data: { userId: command.userId, roles: [...command.roles] } }] };
      case "CascadeRemoveInstanceMember":
        if (state.kind !== "added" || !state.members.has(command.userId)) return { events: [] };
        return { events: [{ type: "instance.member.cascade.removed", data: { userId: command.userId } }] };
      default: {
        const unhandled: never = command;
        return unhandled;
      }
    }
  },
};
