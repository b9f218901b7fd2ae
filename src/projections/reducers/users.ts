import type { RecordedEvent } from "../../events/envelope.js";
import type { HumanAdded, MachineAdded, MachineChanged, UserNameChanged } from "../../events/user.js";
import type { ProjectionView, ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, type UserView } from "../views.js";

type Change = (user: UserView, event: RecordedEvent) => UserView;

const userIdOf = (event: RecordedEvent) => event.stream.slice("user-".length);

/**
 * Every event of a user's stream moves its `details`, so that a read answers with the same
 * sequence and dates as the write that produced the state.
 */
const onUser =
  (change: Change) =>
  async (event: RecordedEvent, view: ProjectionView): Promise<Write[]> => {
    const current = await view.get<UserView>(collections.users, userIdOf(event));
    if (!current) return [];
    return [put(withDetails(change(current, event), event))];
  };

const put = (user: UserView): Write => ({
  op: "put",
  collection: collections.users,
  id: user.id,
  doc: user,
  indexes: { userName: user.userName.toLowerCase(), org: user.details.resourceOwner },
});

const withDetails = (user: UserView, event: RecordedEvent): UserView => ({
  ...user,
  details: { ...user.details, sequence: event.revision + 1, changeDate: event.metadata.createdAt },
});

const created = (event: RecordedEvent, fields: Omit<UserView, "id" | "details">): Write =>
  put({
    id: userIdOf(event),
    ...fields,
    details: {
      sequence: event.revision + 1,
      creationDate: event.metadata.createdAt,
      changeDate: event.metadata.createdAt,
      resourceOwner: event.metadata.resourceOwner,
    },
  });

/** Back from LOCKED or INACTIVE: ACTIVE, or INITIAL for a human who has not initialized yet. */
const activeAgain: Change = (user) => ({ ...user, state: user.initialized ? "USER_STATE_ACTIVE" : "USER_STATE_INITIAL" });

export const userReducers: ReducerTable = {
  "user.machine.added": async (event) => {
    const data = event.data as MachineAdded;
    return [
      created(event, {
        userName: data.userName,
        state: "USER_STATE_ACTIVE",
        initialized: true,
        machine: { name: data.name, description: data.description ?? "", hasSecret: false, accessTokenType: data.accessTokenType ?? 0 },
      }),
    ];
  },
  "user.machine.changed": onUser((user, event) => {
    const data = event.data as MachineChanged;
    const machine = user.machine!;
    return {
      ...user,
      machine: {
        ...machine,
        name: data.name ?? machine.name,
        description: data.description ?? machine.description,
        accessTokenType: data.accessTokenType ?? machine.accessTokenType,
      },
    };
  }),
  "user.machine.secret.set": onUser((user) => ({ ...user, machine: { ...user.machine!, hasSecret: true } })),
  "user.machine.secret.removed": onUser((user) => ({ ...user, machine: { ...user.machine!, hasSecret: false } })),
  "user.human.added": async (event) => {
    const data = event.data as HumanAdded;
    return [
      created(event, {
        userName: data.userName,
        state: "USER_STATE_ACTIVE",
        initialized: true,
        human: {
          profile: {
            firstName: data.firstName,
            lastName: data.lastName,
            nickName: data.nickName ?? "",
            displayName: data.displayName ?? "",
            preferredLanguage: data.preferredLanguage ?? "",
            gender: data.gender ?? 0,
          },
          email: { email: data.email, isEmailVerified: false },
          phone: { phone: data.phone ?? "", isPhoneVerified: false },
        },
      }),
    ];
  },
  "user.human.email.verified": onUser((user) => ({ ...user, human: { ...user.human!, email: { ...user.human!.email, isEmailVerified: true } } })),
  "user.human.phone.verified": onUser((user) => ({ ...user, human: { ...user.human!, phone: { ...user.human!.phone, isPhoneVerified: true } } })),
  // ZITADEL's user projection: a pending initialization code makes an active user INITIAL.
  "user.human.initialization.code.added": onUser((user) => ({
    ...user,
    initialized: false,
    state: user.state === "USER_STATE_ACTIVE" ? "USER_STATE_INITIAL" : user.state,
  })),
  "user.personal.access.token.added": onUser((user) => user),
  "user.pat.removed": onUser((user) => user),
  "user.metadata.set": onUser((user) => user),
  "user.metadata.removed": onUser((user) => user),
  "user.deactivated": onUser((user) => ({ ...user, state: "USER_STATE_INACTIVE" })),
  "user.reactivated": onUser(activeAgain),
  "user.locked": onUser((user) => ({ ...user, state: "USER_STATE_LOCKED" })),
  "user.unlocked": onUser(activeAgain),
  "user.username.changed": onUser((user, event) => ({ ...user, userName: (event.data as UserNameChanged).userName })),
  // A removed user is gone from every read: 404, as an unknown one.
  "user.removed": async (event) => [{ op: "delete", collection: collections.users, id: userIdOf(event) }],
};
