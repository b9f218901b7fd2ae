import express from "express";
import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

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
// ListUsers' baseline: the bench saves real answers of the service as BARE_PAGES_DIR/{name}.json;
// each is parsed once and serialized again on every request, as the service serializes its page.
const pagesDir = process.env.BARE_PAGES_DIR;
const pages = new Map<string, unknown>(
  pagesDir ? readdirSync(pagesDir).filter((file) => file.endsWith(".json")).map((file) => [file.slice(0, -5), JSON.parse(readFileSync(join(pagesDir, file), "utf8"))]) : [],
);
app.post("/bare/page/:name", (req, res) => {
  res.json(typeof req.body === "object" ? pages.get(req.params.name) : undefined);
});
const server = app.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ message: "idledger started", port: (server.address() as AddressInfo).port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
