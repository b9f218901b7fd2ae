import type { RecordedEvent } from "../../events/envelope.js";
import type { HumanAdded, MachineAdded, MachineChanged } from "../../events/user.js";
import type { ProjectionView, ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { collections, type UserView } from "../views.js";

type Change = (user: UserView, event: RecordedEvent) => UserView;

/**
 * Every event of a user's stream moves its `details`, so that a read answers with the same
 * sequence and dates as the write that produced the state.
 */
const onUser =
  (change: Change) =>
  async (event: RecordedEvent, view: ProjectionView): Promise<Write[]> => {
    const userId = event.stream.slice("user-".length);
    const current = await view.get<UserView>(collections.users, userId);
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
    id: event.stream.slice("user-".length),
    ...fields,
    details: {
      sequence: event.revision + 1,
      creationDate: event.metadata.createdAt,
      changeDate: event.metadata.createdAt,
      resourceOwner: event.metadata.resourceOwner,
    },
  });

export const userReducers: ReducerTable = {
  "user.machine.added": async (event) => {
    const data = event.data as MachineAdded;
    return [
      created(event, {
        userName: data.userName,
        state: "USER_STATE_ACTIVE",
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
  // ZITADEL's user projection: a pending initialization code makes the user INITIAL.
  "user.human.initialization.code.added": onUser((user) => ({ ...user, state: "USER_STATE_INITIAL" })),
  "user.personal.access.token.added": onUser((user) => user),
  "user.machine.key.added": onUser((user) => user),
  "user.machine.key.removed": onUser((user) => user),
};
