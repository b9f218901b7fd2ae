import type { Reducer, ReducerTable } from "../projection.js";
import type { Write } from "../readModel.js";
import { accessReducers } from "./access.js";
import { machineKeyReducers } from "./machineKeys.js";
import { oidcSessionReducers } from "./oidcSessions.js";
import { metadataReducers } from "./metadata.js";
import { orgReducers } from "./orgs.js";
import { userReducers } from "./users.js";

/** All tables merged; an event type two tables name runs both reducers, in table order. */
export const reducers: ReducerTable = merge([userReducers, orgReducers, accessReducers, machineKeyReducers, oidcSessionReducers, metadataReducers]);

function merge(tables: readonly ReducerTable[]): ReducerTable {
  const byType = new Map<string, Reducer[]>();
  for (const table of tables) {
    for (const [type, reducer] of Object.entries(table)) byType.set(type, [...(byType.get(type) ?? []), reducer]);
  }
  // A type only one table names runs its reducer as it is, with no wrapper to collect the writes of several.
  return Object.fromEntries([...byType].map(([type, list]): [string, Reducer] => [type, list.length === 1 ? list[0]! : inTableOrder(list)]));
}

function inTableOrder(list: readonly Reducer[]): Reducer {
  return async (event, view) => {
    const writes: Write[] = [];
    for (const reducer of list) writes.push(...(await reducer(event, view)));
    return writes;
  };
}
