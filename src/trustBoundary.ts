import { isIP } from "node:net";
import type { Config } from "./config.js";

const onThisHost = (hostname: string) => {
  const host = hostname.replace(/^\[(.*)\]$/, "$1");
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
};

/**
 * Backends configured so that someone other than idledger may write them. Whoever can write Redis
 * or EventStoreDB is IAM_OWNER (permissions and token hashes are read from the read model, events
 * can be appended): said loudly at every start, as any development-only default (docs/security.md).
 */
export function exposedBackends({ redisUrl, eventStoreUrl }: Pick<Config, "redisUrl" | "eventStoreUrl">): string[] {
  const warnings: string[] = [];
  if (redisUrl && URL.canParse(redisUrl)) {
    const url = new URL(redisUrl);
    if (!url.password) warnings.push("Redis takes no password (REDIS_URL has none): whoever reaches it can make themselves IAM_OWNER");
    if (url.protocol === "redis:" && !onThisHost(url.hostname)) warnings.push("Redis is reached without TLS (redis://, not rediss://): its password and the read model cross the network in clear");
  }
  if (eventStoreUrl) {
    // Not a WHATWG URL: a cluster's connection string lists several hosts (`esdb://a:2113,b:2113?...`).
    const [address = "", query = ""] = eventStoreUrl.split("?", 2);
    const options = new URLSearchParams(query);
    const tls = options.get("tls")?.toLowerCase() !== "false";
    const credentials = /^[^:]+:\/\/[^/@]+@/.test(address) || options.has("userCertFile");
    if (!tls) warnings.push("EventStoreDB runs without TLS (tls=false), so in insecure mode without users: whoever reaches it can append events and make themselves IAM_OWNER");
    else if (!credentials) warnings.push("EventStoreDB is reached without credentials (no user in EVENTSTORE_URL)");
  }
  return warnings;
}

/**
 * Without EXTERNAL_URL the OIDC issuer (discovery, the endpoints it names, every token's `iss`) is
 * the origin the request came to, which its `Host` header names: fine on loopback, but on an open
 * interface any client picks the issuer and the endpoints discovery points others to.
 */
export function clientChosenIssuer({ host, externalUrl }: Pick<Config, "host" | "externalUrl">): string | undefined {
  if (externalUrl || onThisHost(host)) return undefined;
  return `HOST is ${host} and EXTERNAL_URL is unset: the OIDC issuer and discovery's endpoints follow each request's Host header; set EXTERNAL_URL`;
}
