import express from "express";
import type { AddressInfo } from "node:net";

// The baseline: a bare express app with a JSON route of the same shape as the API's, started the
// same way (its own process, loopback, port 0). It prints its port as the service does.
const app = express();
app.use(express.json());
app.post("/bare", (req, res) => {
  res.json({ userId: "400856174095764636", echo: typeof req.body === "object" });
});
app.get("/bare/:id", (req, res) => {
  res.json({ user: { id: req.params.id, userName: "robot" } });
});
const server = app.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ message: "idledger started", port: (server.address() as AddressInfo).port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
