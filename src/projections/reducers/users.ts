import type { RecordedEvent } from "../../events/envelope.js";
import type { HumanAdded, HumanEmailChanged, HumanPhoneChanged, HumanProfileChanged, MachineAdded, MachineChanged, UserNameChanged } from "../../events/user.js";
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

type Human = NonNullable<UserView["human"]>;
const onHuman = (change: (human: Human, event: RecordedEvent) => Human) => onUser((user, event) => ({ ...user, human: change(user.human!, event) }));

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
  "user.human.email.verified": onHuman((human) => ({ ...human, email: { ...human.email, isEmailVerified: true } })),
  "user.human.phone.verified": onHuman((human) => ({ ...human, phone: { ...human.phone, isPhoneVerified: true } })),
  "user.human.profile.changed": onHuman((human, event) => ({ ...human, profile: { ...human.profile, ...(event.data as HumanProfileChanged) } })),
  "user.human.email.changed": onHuman((human, event) => ({ ...human, email: { email: (event.data as HumanEmailChanged).email, isEmailVerified: false } })),
  "user.human.phone.changed": onHuman((human, event) => ({ ...human, phone: { phone: (event.data as HumanPhoneChanged).phone, isPhoneVerified: false } })),
  "user.human.phone.removed": onHuman((human) => ({ ...human, phone: { phone: "", isPhoneVerified: false } })),
  // Codes and password hashes are not read models' business; the events still move `details`.
  "user.human.email.code.added": onUser((user) => user),
  "user.human.phone.code.added": onUser((user) => user),
  "user.human.password.changed": onUser((user) => user),
  // ZITADEL's user projection: a pending initialization code makes an active user INITIAL.
  "user.human.initialization.code.added": onUser((user) => ({
    ...user,
    initialized: false,
    state: user.state === "USER_STATE_ACTIVE" ? "USER_STATE_INITIAL" : user.state,
  })),
  "user.personal.access.token.added": onUser((user) => user),
  "user.deactivated": onUser((user) => ({ ...user, state: "USER_STATE_INACTIVE" })),
  "user.reactivated": onUser(activeAgain),
  "user.locked": onUser((user) => ({ ...user, state: "USER_STATE_LOCKED" })),
  "user.unlocked": onUser(activeAgain),
  "user.username.changed": onUser((user, event) => ({ ...user, userName: (event.data as UserNameChanged).userName })),
  // A removed user is gone from every read: 404, as an unknown one.
  "user.removed": async (event) => [{ op: "delete", collection: collections.users, id: userIdOf(event) }],
};
