import { openEsdbEventStore } from "../../src/events/esdb/esdbEventStore.js";
import { testEventStore } from "./eventStore.js";

// Against a real EventStoreDB / KurrentDB when EVENTSTORE_URL names one (README: "Running the
// EventStoreDB contract suite"); otherwise one SKIP line and every test reported as skipped.
const url = process.env.EVENTSTORE_URL;

testEventStore(
  "eventstoredb",
  async () => {
    if (!url) return undefined;
    const store = openEsdbEventStore(url);
    await store.headPosition();
    return { store, cleanup: () => store.close() };
  },
  { skipReason: "EVENTSTORE_URL is not set (no EventStoreDB server to run against)" },
);
