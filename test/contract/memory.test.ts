import { createMemoryReadModel } from "../../src/projections/memory/memoryReadModel.js";
import { testReadModel } from "./readModel.js";

testReadModel("memory", async () => createMemoryReadModel());
