import type { RecordedEvent } from "../../events/envelope.js";
import type { HumanAdded, HumanEmailChanged, HumanProfileChanged, MachineAdded, UserNameChanged } from "../../events/user.js";
import { refuse, type ProjectionView, type ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { searchCollection, type SearchableUser } from "./userSearch.js";

const userIdOf = (event: RecordedEvent) => event.stream.slice("user-".length);

const put = (user: SearchableUser): Write => ({ op: "put", collection: searchCollection, id: user.id, doc: user });

const created =
  (fields: (event: RecordedEvent) => Pick<SearchableUser, "type" | "userName" | "human">) =>
  async (event: RecordedEvent, view: ProjectionView): Promise<Write[]> => {
    const id = userIdOf(event);
    if (await view.get(searchCollection, id)) return refuse(event, "the user exists already");
    const user: SearchableUser = { id, org: event.metadata.resourceOwner, state: "USER_STATE_ACTIVE", initialized: true, creationDate: event.metadata.createdAt, ...fields(event) };
    return [put(user)];
  };

const onUser =
  (change: (user: SearchableUser, event: RecordedEvent) => SearchableUser) =>
  async (event: RecordedEvent, view: ProjectionView): Promise<Write[]> => {
    const current = await view.get<SearchableUser>(searchCollection, userIdOf(event));
    if (!current) return refuse(event, "no such user");
    return [put(change(current, event))];
  };

type Human = NonNullable<SearchableUser["human"]>;
const onHuman = (change: (human: Human, event: RecordedEvent) => Human) =>
  onUser((user, event) => ({ ...user, human: change(user.human ?? refuse(event, "the user is not a human"), event) }));

/** Back from LOCKED or INACTIVE: as src/projections/reducers/users.ts has it. */
const activeAgain = (user: SearchableUser): SearchableUser => ({ ...user, state: user.initialized ? "USER_STATE_ACTIVE" : "USER_STATE_INITIAL" });

/**
 * The search projection: only the events that change what ListUsers filters or sorts by. Every
 * other event leaves the index as it is (the read model keeps `details` for the answers).
 */
export const searchReducers: ReducerTable = {
  "user.machine.added": created((event) => ({ type: "machine", userName: (event.data as MachineAdded).userName })),
  "user.human.added": created((event) => {
    const data = event.data as HumanAdded;
    return {
      type: "human",
      userName: data.userName,
      human: { firstName: data.firstName, lastName: data.lastName, nickName: data.nickName ?? "", displayName: data.displayName ?? "", email: data.email },
    };
  }),
  "user.human.profile.changed": onHuman((human, event) => {
    const { firstName, lastName, nickName, displayName } = event.data as HumanProfileChanged;
    return {
      ...human,
      firstName: firstName ?? human.firstName,
      lastName: lastName ?? human.lastName,
      nickName: nickName ?? human.nickName,
      displayName: displayName ?? human.displayName,
    };
  }),
  "user.human.email.changed": onHuman((human, event) => ({ ...human, email: (event.data as HumanEmailChanged).email })),
  "user.human.initialization.code.added": onUser((user) => ({ ...user, initialized: false, state: user.state === "USER_STATE_ACTIVE" ? "USER_STATE_INITIAL" : user.state })),
  "user.username.changed": onUser((user, event) => ({ ...user, userName: (event.data as UserNameChanged).userName })),
  "user.deactivated": onUser((user) => ({ ...user, state: "USER_STATE_INACTIVE" })),
  "user.reactivated": onUser(activeAgain),
  "user.locked": onUser((user) => ({ ...user, state: "USER_STATE_LOCKED" })),
  "user.unlocked": onUser(activeAgain),
  // Removal (and erasure) takes the user out of every search.
  "user.removed": async (event) => [{ op: "delete", collection: searchCollection, id: userIdOf(event) }],
};
