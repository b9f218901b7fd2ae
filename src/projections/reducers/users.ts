import type { RecordedEvent } from "../../events/envelope.js";
import type { HumanAdded, HumanEmailChanged, HumanPhoneChanged, HumanProfileChanged, MachineAdded, MachineChanged, UserNameChanged } from "../../events/user.js";
import { refuse, type ProjectionView, type Reducer, type ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, type UserView } from "../views.js";

type Change = (user: UserView, event: RecordedEvent) => UserView;

/**
 * Every event of a user's stream moves its `details`, so that a read answers with the same
 * sequence and dates as the write that produced the state. (Promise chains rather than async
 * functions, here and in `created`: a replay runs them for almost every event of the log.)
 */
const onUser =
  (change: Change): Reducer =>
  (event, view) =>
    view.get<UserView>(collections.users, userIdOf(event)).then((current) => (current ? [put(withDetails(change(current, event), event))] : refuse(event, "no such user")));

const userIdOf = (event: RecordedEvent) => event.stream.slice("user-".length);

const machineOf = (user: UserView, event: RecordedEvent) => user.machine ?? refuse(event, "the user is not a machine");
const humanOf = (user: UserView, event: RecordedEvent) => user.human ?? refuse(event, "the user is not a human");

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

const created = (event: RecordedEvent, view: ProjectionView, fields: Omit<UserView, "id" | "details">): Promise<Write[]> => {
  const id = userIdOf(event);
  return view.get<UserView>(collections.users, id).then((existing) => {
    if (existing) return refuse(event, "the user exists already");
    const details = {
      sequence: event.revision + 1,
      creationDate: event.metadata.createdAt,
      changeDate: event.metadata.createdAt,
      resourceOwner: event.metadata.resourceOwner,
    };
    return [put({ id, ...fields, details })];
  });
};


type Human = NonNullable<UserView["human"]>;
const onHuman = (change: (human: Human, event: RecordedEvent) => Human) => onUser((user, event) => ({ ...user, human: change(humanOf(user, event), event) }));

/** Back from LOCKED or INACTIVE: ACTIVE, or INITIAL for a human who has not initialized yet. */
const activeAgain: Change = (user) => ({ ...user, state: user.initialized ? "USER_STATE_ACTIVE" : "USER_STATE_INITIAL" });

export const userReducers: ReducerTable = {
  "user.machine.added": (event, view) => {
    const data = event.data as MachineAdded;
    return created(event, view, {
      userName: data.userName,
      state: "USER_STATE_ACTIVE",
      initialized: true,
      machine: { name: data.name, description: data.description ?? "", hasSecret: false, accessTokenType: data.accessTokenType ?? 0 },
    });
  },
  "user.machine.changed": onUser((user, event) => {
    const data = event.data as MachineChanged;
    const machine = machineOf(user, event);
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
  "user.machine.secret.set": onUser((user, event) => ({ ...user, machine: { ...machineOf(user, event), hasSecret: true } })),
  "user.machine.secret.removed": onUser((user, event) => ({ ...user, machine: { ...machineOf(user, event), hasSecret: false } })),
  "user.human.added": (event, view) => {
    const data = event.data as HumanAdded;
    return created(event, view, {
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
    });
  },
  "user.human.email.verified": onHuman((human) => ({ ...human, email: { ...human.email, isEmailVerified: true } })),
  "user.human.phone.verified": onHuman((human) => ({ ...human, phone: { ...human.phone, isPhoneVerified: true } })),
  "user.human.profile.changed": onHuman((human, event) => ({ ...human, profile: { ...human.profile, ...(event.data as HumanProfileChanged) } })),
  "user.human.email.changed": onHuman((human, event) => ({ ...human, email: { email: (event.data as HumanEmailChanged).email, isEmailVerified: false } })),
  "user.human.phone.changed": onHuman((human, event) => ({ ...human, phone: { phone: (event.data as HumanPhoneChanged).phone, isPhoneVerified: false } })),
  "user.human.phone.removed": onHuman((human) => ({ ...human, phone: { phone: "", isPhoneVerified: false } })),
  // Codes and password hashes are not read models' business; the events still move `details`.
  "user.human.email.code.added": onHuman((human) => human),
  "user.human.phone.code.added": onHuman((human) => human),
  "user.human.password.changed": onHuman((human) => human),
  // ZITADEL's user projection: a pending initialization code makes an active user INITIAL.
  "user.human.initialization.code.added": onUser((user, event) => ({
    ...user,
    human: humanOf(user, event),
    initialized: false,
    state: user.state === "USER_STATE_ACTIVE" ? "USER_STATE_INITIAL" : user.state,
  })),
  "user.pat.added": onUser((user, event) => ({ ...user, machine: machineOf(user, event) })),
  "user.machine.key.added": onUser((user, event) => ({ ...user, machine: machineOf(user, event) })),
  "user.machine.key.removed": onUser((user, event) => ({ ...user, machine: machineOf(user, event) })),
  "user.pat.removed": onUser((user, event) => ({ ...user, machine: machineOf(user, event) })),
  "user.metadata.set": onUser((user) => user),
  "user.metadata.removed": onUser((user) => user),
  "user.deactivated": onUser((user) => ({ ...user, state: "USER_STATE_INACTIVE" })),
  "user.reactivated": onUser(activeAgain),
  "user.locked": onUser((user) => ({ ...user, state: "USER_STATE_LOCKED" })),
  "user.unlocked": onUser(activeAgain),
  "user.username.changed": onUser((user, event) => ({ ...user, userName: (event.data as UserNameChanged).userName })),
  // A removed user is gone from every read: 404, as an unknown one.
  "user.removed": async (event, view) => {
    const id = userIdOf(event);
    if (!(await view.get<UserView>(collections.users, id))) return refuse(event, "no such user");
    return [{ op: "delete", collection: collections.users, id }];
  },
};
