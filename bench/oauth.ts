import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnService } from "../test/support/process.js";
import { measure, type HttpFigures } from "./http.js";

export interface OAuthFigures {
  readonly opaque: HttpFigures;
  readonly jwt: HttpFigures;
  readonly introspection: HttpFigures;
  readonly baseline: { readonly opaque: HttpFigures; readonly jwt: HttpFigures };
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });

/**
 * client_credentials tokens/s (opaque and JWT, 50 connections) from idledger, durable (each grant's
 * events fsync'd before the answer, only hashes kept), next to oidc-provider issuing the same grant
 * from memory in the same run; then introspections/s of an opaque token by a machine caller.
 */
export async function benchOAuth({ dir, seconds = 5 }: { dir: string; seconds?: number }): Promise<OAuthFigures> {
  const baseline = { opaque: await providerRun("opaque", seconds), jwt: await providerRun("jwt", seconds) };

  const service = await spawnService({ DATA_DIR: join(dir, "oauth") });
  try {
    const admin = { authorization: `Bearer ${(await readFile(join(dir, "oauth", "admin.pat"), "utf8")).trim()}`, "content-type": "application/json" };
    const api = async (method: string, path: string, body: unknown) =>
      (await fetch(service.url + path, { method, headers: admin, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
    const machine = async (userName: string, accessTokenType: string) => {
      const { userId } = await api("POST", "/management/v1/users/machine", { userName, name: userName, accessTokenType });
      return { userName, secret: (await api("PUT", `/management/v1/users/${userId}/secret`, {})).clientSecret! };
    };
    const opaqueUser = await machine("bench-opaque", "ACCESS_TOKEN_TYPE_BEARER");
    const jwtUser = await machine("bench-jwt", "ACCESS_TOKEN_TYPE_JWT");
    const caller = await machine("bench-caller", "ACCESS_TOKEN_TYPE_BEARER");
    const grant = (user: { userName: string; secret: string }) =>
      measure({ url: `${service.url}/oauth/v2/token`, method: "POST", headers: { ...FORM, ...basic(user.userName, user.secret) }, body: () => "grant_type=client_credentials", seconds });
    const opaque = await grant(opaqueUser);
    const jwt = await grant(jwtUser);
    const issued = await fetch(`${service.url}/oauth/v2/token`, { method: "POST", headers: { ...FORM, ...basic(opaqueUser.userName, opaqueUser.secret) }, body: "grant_type=client_credentials" });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const introspection = await measure({
      url: `${service.url}/oauth/v2/introspect`,
      method: "POST",
      headers: { ...FORM, ...basic(caller.userName, caller.secret) },
      body: () => `token=${token}`,
      seconds,
    });
    return { opaque, jwt, introspection, baseline };
  } finally {
    service.child.kill("SIGTERM");
    await service.exited;
  }
}

async function providerRun(format: "opaque" | "jwt", seconds: number): Promise<HttpFigures> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./oidcProvider.ts", import.meta.url)), format], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout!.once("data", (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
    return await measure({ url: `http://127.0.0.1:${port}/token`, method: "POST", headers: { ...FORM, ...basic("bench", "bench-secret") }, body: () => "grant_type=client_credentials", seconds });
  } finally {
    child.kill("SIGTERM");
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(join(tmpdir(), "idledger-bench-oauth-"));
  try {
    console.log(JSON.stringify(await benchOAuth({ dir, seconds: Number(process.argv[2] ?? 5) }), null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
