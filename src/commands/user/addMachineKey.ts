import type { Decision } from "../decider.js";
import { fail } from "../../errors.js";
import type { UserEvent } from "../../events/user.js";
import type { UserState } from "./state.js";

export interface AddMachineKey {
  readonly type: "AddMachineKey";
  readonly resourceOwner: string;
  readonly keyId: string;
  /** RFC 3339, already checked to lie in the future. */
  readonly expirationDate: string;
  /** The public key's PEM (SPKI); a generated private key never reaches the decider. */
  readonly publicKeyPem: string;
}

/**
 * ZITADEL's AddUserMachineKey: `user.machine.key.added` with the public key only. ZITADEL accepts
 * any existing user here; idledger only machine users, who alone can use a key (JWT profile).
 */
export function addMachineKey(command: AddMachineKey, state: UserState): Decision<UserEvent> {
  if (state.kind !== "machine" || state.resourceOwner !== command.resourceOwner) return fail("machineKeyUserNotFound");
  return {
    events: [
      {
        type: "user.machine.key.added",
        data: {
          keyId: command.keyId,
          type: 1,
          expirationDate: command.expirationDate,
          publicKey: Buffer.from(command.publicKeyPem).toString("base64"),
        },
      },
    ],
  };
}
