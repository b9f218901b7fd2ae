import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

// The same-run baseline of the client_credentials figures: panva's oidc-provider, the reference
// Node.js OpenID provider, issuing client_credentials tokens in the format named by argv[2]
// ("opaque" or "jwt", RS256) with its default (in-memory, not durable) adapter. Own process,
// loopback, port 0; prints its port as the service does.
const format = process.argv[2] === "jwt" ? "jwt" : "opaque";
const RESOURCE = "urn:bench:api";
const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

const provider = new Provider("http://127.0.0.1", {
  clients: [{ client_id: "bench", client_secret: "bench-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] }],
  jwks: { keys: [{ ...signingKey, kid: "bench", alg: "RS256", use: "sig" }] },
  cookies: { keys: ["bench-cookie-key"] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      getResourceServerInfo: () => ({ scope: "", accessTokenFormat: format, accessTokenTTL: 43200, ...(format === "jwt" ? { jwt: { sign: { alg: "RS256" } } } : {}) }),
    },
  },
});
const server = provider.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ message: "idledger started", port: (server.address() as AddressInfo).port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
