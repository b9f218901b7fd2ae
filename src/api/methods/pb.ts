import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserState } from "@zitadel/proto/zitadel/user_pb.js";
import type { AuditEntry } from "../../audit/auditLog.js";
import { localizedEventType } from "../../audit/localized.js";
import type { ObjectDetails } from "../../commands/details.js";
import type { UserStateName, UserView } from "../../projections/views.js";

/** zitadel.v1.ObjectDetails from our details: uint64 sequence, Timestamps. */
export const detailsPb = (details: ObjectDetails) => ({
  sequence: BigInt(details.sequence),
  creationDate: timestampFromDate(new Date(details.creationDate)),
  changeDate: timestampFromDate(new Date(details.changeDate)),
  resourceOwner: details.resourceOwner,
});

const userStates: Readonly<Record<UserStateName, UserState>> = {
  USER_STATE_ACTIVE: UserState.ACTIVE,
  USER_STATE_INITIAL: UserState.INITIAL,
  USER_STATE_INACTIVE: UserState.INACTIVE,
  USER_STATE_LOCKED: UserState.LOCKED,
};

/** zitadel.user.v1.User. */
export const userPb = (user: UserView) => ({
  id: user.id,
  details: detailsPb(user.details),
  state: userStates[user.state],
  userName: user.userName,
  // The default domain policy (userLoginMustBeDomain = false): the login name is the userName.
  loginNames: [user.userName],
  preferredLoginName: user.userName,
  type: user.machine ? { case: "machine" as const, value: user.machine } : { case: "human" as const, value: user.human! },
});

/** zitadel.change.v1.Change: `sequence` is the user's own (revision + 1), as in `details`. */
export const changePb = ({ event, editor }: AuditEntry) => ({
  changeDate: timestampFromDate(new Date(event.metadata.createdAt)),
  eventType: localizedEventType(event.type),
  sequence: BigInt(event.revision + 1),
  editorId: editor.userId,
  editorDisplayName: editor.displayName,
  resourceOwnerId: event.metadata.resourceOwner,
  editorPreferredLoginName: editor.preferredLoginName,
  editorAvatarUrl: "",
});
