// The settings @eventstore/db-client 6 reads from a connection string (Client/parseConnectionString.js),
// flattened as it compares them (case, `-` and `_` ignored).
const known = new Set([
  "usercertfile",
  "userkeyfile",
  "maxdiscoverattempts",
  "connectionname",
  "defaultdeadline",
  "discoveryinterval",
  "gossiptimeout",
  "nodepreference",
  "tls",
  "tlsverifycert",
  "tlscafile",
  "throwonappendfailure",
  "keepaliveinterval",
  "keepalivetimeout",
]);

const flat = (key: string) => key.trim().toLowerCase().replace(/[_-]/g, "");

/**
 * Refuses what the client would get wrong, naming the setting but never quoting the string
 * (it may hold a password):
 * - `tlsVerifyCert=false` is ignored by this client (it would verify anyway): give the CA with `tlsCAFile`;
 * - `throwOnAppendFailure=false` turns a failed append into a result that looks like a success;
 * - `nodePreference` other than `leader`: every call asks for the leader;
 * - an unknown setting, which the client would report by printing the whole string, password included.
 */
export function checkConnectionString(connectionString: string): void {
  if (!/^esdb(\+discover)?:\/\//.test(connectionString)) throw new Error("EVENTSTORE_URL must start with esdb:// or esdb+discover://");
  const query = connectionString.split("?").slice(1).join("?");
  for (const pair of query ? query.split("&") : []) {
    const [rawKey = "", rawValue = ""] = pair.split("=");
    const key = flat(rawKey);
    const value = rawValue.trim().toLowerCase();
    if (!known.has(key)) throw new Error(`EVENTSTORE_URL: unknown setting "${rawKey.slice(0, 40)}"`);
    if (key === "tlsverifycert" && value === "false") {
      throw new Error("EVENTSTORE_URL: tlsVerifyCert=false is not supported by @eventstore/db-client (it verifies anyway); give the server's CA with tlsCAFile=<file>");
    }
    if (key === "throwonappendfailure" && value === "false") throw new Error("EVENTSTORE_URL: throwOnAppendFailure=false is not supported (a failed append would look like a success)");
    if (key === "nodepreference" && value !== "leader") throw new Error("EVENTSTORE_URL: nodePreference must be leader (idledger reads and writes on the leader)");
  }
}
