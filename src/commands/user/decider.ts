import type { Decider } from "../decider.js";
import type { UserEvent } from "../../events/user.js";
import { addHumanUser, type AddHumanUser } from "./addHumanUser.js";
import { addMachineKey, type AddMachineKey } from "./addMachineKey.js";
import { addMachineUser, type AddMachineUser } from "./addMachineUser.js";
import { addPersonalAccessToken, type AddPersonalAccessToken } from "./addPersonalAccessToken.js";
import { changeHumanEmail, type ChangeHumanEmail } from "./changeHumanEmail.js";
import { changeHumanPhone, type ChangeHumanPhone } from "./changeHumanPhone.js";
import { changeHumanProfile, type ChangeHumanProfile } from "./changeHumanProfile.js";
import { changeMachine, type ChangeMachine } from "./changeMachine.js";
import { changeUserName, type ChangeUserName } from "./changeUserName.js";
import { importHumanUser, type ImportHumanUser } from "./importHumanUser.js";
import { changeLifecycle, type LifecycleCommand } from "./lifecycle.js";
import { removeUserMetadata, setUserMetadata, type RemoveUserMetadata, type SetUserMetadata } from "./metadata.js";
import { removeMachineSecret, type RemoveMachineSecret } from "./removeMachineSecret.js";
import { removePersonalAccessToken, type RemovePersonalAccessToken } from "./removePersonalAccessToken.js";
import { removeMachineKey, type RemoveMachineKey } from "./removeMachineKey.js";
import { removeHumanPhone, type RemoveHumanPhone } from "./removeHumanPhone.js";
import { removeUser, type RemoveUser } from "./removeUser.js";
import { erasePersonalData, type ErasePersonalData } from "./erasePersonalData.js";
import { resendHumanInitialization, type ResendHumanInitialization } from "./resendHumanInitialization.js";
import { setHumanPassword, type SetHumanPassword } from "./setHumanPassword.js";
import { setMachineSecret, type SetMachineSecret } from "./setMachineSecret.js";
import { evolveUser, initialUserState, type UserState } from "./state.js";

export type UserCommand =
  | AddMachineUser
  | ChangeMachine
  | SetMachineSecret
  | AddHumanUser
  | AddPersonalAccessToken
  | LifecycleCommand
  | RemoveUser
  | ChangeUserName
  | AddMachineKey
  | RemoveMachineKey
  | RemoveMachineSecret
  | RemovePersonalAccessToken
  | SetUserMetadata
  | RemoveUserMetadata
  | ChangeHumanProfile
  | ChangeHumanEmail
  | ChangeHumanPhone
  | RemoveHumanPhone
  | ResendHumanInitialization
  | SetHumanPassword
  | ImportHumanUser
  | ErasePersonalData;

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: initialUserState,
  evolve: evolveUser,
  decide(command, state) {
    switch (command.type) {
      case "AddMachineUser":
        return addMachineUser(command, state);
      case "ChangeMachine":
        return changeMachine(command, state);
      case "SetMachineSecret":
        return setMachineSecret(command, state);
      case "AddHumanUser":
        return addHumanUser(command, state);
      case "AddPersonalAccessToken":
        return addPersonalAccessToken(command, state);
      case "DeactivateUser":
      case "ReactivateUser":
      case "LockUser":
      case "UnlockUser":
        return changeLifecycle(command, state);
      case "RemoveUser":
        return removeUser(command, state);
      case "ChangeUserName":
        return changeUserName(command, state);
      case "AddMachineKey":
        return addMachineKey(command, state);
      case "RemoveMachineKey":
        return removeMachineKey(command, state);
      case "RemoveMachineSecret":
        return removeMachineSecret(command, state);
      case "RemovePersonalAccessToken":
        return removePersonalAccessToken(command, state);
      case "SetUserMetadata":
        return setUserMetadata(command, state);
      case "RemoveUserMetadata":
      case "BulkRemoveUserMetadata":
        return removeUserMetadata(command, state);
      case "ChangeHumanProfile":
        return changeHumanProfile(command, state);
      case "ChangeHumanEmail":
        return changeHumanEmail(command, state);
      case "ChangeHumanPhone":
        return changeHumanPhone(command, state);
      case "RemoveHumanPhone":
        return removeHumanPhone(command, state);
      case "ResendHumanInitialization":
        return resendHumanInitialization(command, state);
      case "SetHumanPassword":
        return setHumanPassword(command, state);
      case "ImportHumanUser":
        return importHumanUser(command, state);
      case "ErasePersonalData":
        return erasePersonalData(command, state);
      default: {
        const unhandled: never = command;
        return unhandled;
      }
    }
  },
};
