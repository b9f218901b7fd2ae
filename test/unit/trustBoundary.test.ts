import assert from "node:assert/strict";
import { it } from "node:test";
import { clientChosenIssuer, exposedBackends } from "../../src/trustBoundary.js";

const warnings = (redisUrl?: string, eventStoreUrl?: string) => exposedBackends({ redisUrl, eventStoreUrl }).length;

it("says at start when a backend can be written by others than idledger, and is quiet when it cannot", () => {
  assert.equal(warnings(), 0, "embedded: nothing to say");
  assert.equal(warnings("redis://redis:6379"), 2, "no password, cleartext to another host");
  assert.equal(warnings("redis://127.0.0.1:6379"), 1, "no password");
  assert.equal(warnings("redis://:secret@redis:6379"), 1, "cleartext to another host");
  assert.equal(warnings("redis://:secret@127.0.0.1:6379"), 0);
  assert.equal(warnings("rediss://idledger:secret@redis.internal:6380"), 0);
  assert.equal(warnings(undefined, "esdb://eventstore:2113?tls=false"), 1, "insecure mode");
  assert.equal(warnings(undefined, "esdb://eventstore:2113"), 1, "TLS but no user");
  assert.equal(warnings(undefined, "esdb://idledger:secret@esdb1:2113,esdb2:2113?tlsCAFile=/run/secrets/ca.crt"), 0);
  assert.equal(warnings(undefined, "esdb://esdb1:2113?userCertFile=/u.crt&userKeyFile=/u.key"), 0);
  assert.equal(warnings(undefined, "esdb+discover://esdb1:2113,esdb2:2113?tls=false"), 1, "a cluster in insecure mode");
  assert.equal(warnings(undefined, "esdb://esdb1:2113,esdb2:2113"), 1, "a cluster without a user");
});

it("says at start when the OIDC issuer follows the client's Host header on an open interface", () => {
  assert.match(clientChosenIssuer({ host: "0.0.0.0", externalUrl: undefined }) ?? "", /EXTERNAL_URL is unset/);
  assert.match(clientChosenIssuer({ host: "10.0.0.5", externalUrl: undefined }) ?? "", /HOST is 10\.0\.0\.5/);
  assert.equal(clientChosenIssuer({ host: "0.0.0.0", externalUrl: "https://id.example.com" }), undefined);
  for (const host of ["127.0.0.1", "localhost", "::1", "[::1]"]) assert.equal(clientChosenIssuer({ host, externalUrl: undefined }), undefined, host);
});
