import type { Decider } from "../../commands/decider.js";
import { fail } from "../../errors.js";
import type { WebhookTargetAdded, WebhookTargetRemoved } from "../../events/webhook.js";

export type TargetEvent =
  | { readonly type: "webhook.target.added"; readonly data: WebhookTargetAdded }
  | { readonly type: "webhook.target.removed"; readonly data: WebhookTargetRemoved };

export type TargetCommand =
  | { readonly type: "AddTarget"; readonly target: WebhookTargetAdded }
  | { readonly type: "RemoveTarget" };

export type TargetState = "absent" | "active" | "removed";

/** A webhook target's life: added once, removed once. */
export const targetDecider: Decider<TargetState, TargetCommand, TargetEvent> = {
  initialState: () => "absent",
  evolve: (_state, event) => (event.type === "webhook.target.added" ? "active" : "removed"),
  decide(command, state) {
    switch (command.type) {
      case "AddTarget":
        if (state !== "absent") return fail("webhookTargetExists");
        return { events: [{ type: "webhook.target.added", data: command.target }] };
      case "RemoveTarget":
        if (state !== "active") return fail("webhookTargetNotFound");
        return { events: [{ type: "webhook.target.removed", data: {} }] };
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },
};
