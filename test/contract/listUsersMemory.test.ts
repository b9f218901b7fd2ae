import { testListUsers } from "./listUsers.js";

testListUsers("memory", () => ({}));
