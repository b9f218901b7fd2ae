import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { ADMIN_PAT_FILE, startService, type RunningService } from "../../src/service.js";

export interface TestService extends RunningService {
  readonly dataDir: string;
  /** The admin's personal access token, as the first start wrote it to admin.pat. */
  readonly adminToken: string;
  /** Closes the service and deletes its data dir. */
  dispose(): Promise<void>;
}

/**
 * Starts the real service in this process: a real SQLite file in a fresh temp dir, HTTP on a free
 * loopback port. `env` adds or overrides configuration (e.g. REDIS_URL).
 */
export async function startTestService(env: Record<string, string> = {}, dataDir?: string): Promise<TestService> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), "idledger-test-")));
  // A longer consistency wait than production's 2 s: on a loaded 2-core machine projecting a bulk
  // append can take longer, and a request past the wait fails closed (503) by design.
  const config: Config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, PASSWORD_SCRYPT_LOGN: "10", CONSISTENCY_TIMEOUT_MS: "10000", ...env });
  const service = await startService(config, createLogger("error", true));
  const adminToken = (await readFile(join(dir, ADMIN_PAT_FILE), "utf8")).trim();
  return {
    ...service,
    dataDir: dir,
    adminToken,
    async dispose() {
      await service.close();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A small REST client over real HTTP: JSON in, JSON out, the admin token unless told otherwise. */
export function restClient(service: { url: string; adminToken: string }) {
  return async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string | null; orgId?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? service.adminToken : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.orgId) headers["x-zitadel-orgid"] = options.orgId;
    if (body !== undefined || options.raw !== undefined) headers["content-type"] ??= "application/json";
    const response = await fetch(service.url + path, {
      method,
      headers,
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
}

/** A machine user of `orgId` with `roles` there (made by the admin), its token's id, and a client acting with its token. */
export async function machineActor(service: TestService, userName: string, orgId: string, roles: readonly string[]) {
  const call = restClient(service);
  const created = await call("POST", "/management/v1/users/machine", { userName, name: userName }, { orgId });
  if (created.status !== 200) throw new Error(`creating ${userName}: ${JSON.stringify(created.body)}`);
  const userId = created.body.userId as string;
  if (roles.length > 0) {
    const granted = await call("POST", "/management/v1/orgs/me/members", { userId, roles }, { orgId });
    if (granted.status !== 200) throw new Error(`granting ${roles.join(", ")}: ${JSON.stringify(granted.body)}`);
  }
  const pat = await call("POST", `/management/v1/users/${userId}/pats`, {}, { orgId });
  if (pat.status !== 200) throw new Error(`a token for ${userName}: ${JSON.stringify(pat.body)}`);
  return { userId, tokenId: pat.body.tokenId as string, as: restClient({ url: service.url, adminToken: pat.body.token as string }) };
}
