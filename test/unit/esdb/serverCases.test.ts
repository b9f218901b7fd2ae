import { testEsdbServer } from "../../contract/esdbServer.js";
import { FakeEsdbClient } from "./fakeClient.js";

// The cases the contract suite runs against a real server, against the fake one, connected as a
// user who is not an admin (with read on `$all` granted, as the README's least privileges say).
const client = new FakeEsdbClient({ admin: false });
testEsdbServer("fake server, not an admin", {
  connect: () => client,
  tombstone: async (stream) => client.tombstone(stream),
  restart: async () => client.restart(),
  leastPrivilege: true,
});
