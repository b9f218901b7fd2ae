import { SUPPORTED_SCOPES } from "./scopes.js";
import { GRANT_TYPES } from "./tokenEndpoint.js";

export const OAUTH_PATHS = {
  discovery: "/.well-known/openid-configuration",
  keys: "/oauth/v2/keys",
  token: "/oauth/v2/token",
  introspect: "/oauth/v2/introspect",
  revoke: "/oauth/v2/revoke",
  userinfo: "/oidc/v1/userinfo",
} as const;

const CALLER_AUTH = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
const ASSERTION_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

/** OpenID Provider Metadata of what idledger serves, at ZITADEL's paths: nothing more is promised. */
export const discoveryDocument = (issuer: string) => ({
  issuer,
  token_endpoint: issuer + OAUTH_PATHS.token,
  introspection_endpoint: issuer + OAUTH_PATHS.introspect,
  userinfo_endpoint: issuer + OAUTH_PATHS.userinfo,
  revocation_endpoint: issuer + OAUTH_PATHS.revoke,
  jwks_uri: issuer + OAUTH_PATHS.keys,
  scopes_supported: SUPPORTED_SCOPES,
  // No authorization endpoint: machine users need none.
  response_types_supported: [],
  grant_types_supported: GRANT_TYPES,
  subject_types_supported: ["public"],
  id_token_signing_alg_values_supported: ["RS256"],
  token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
  introspection_endpoint_auth_methods_supported: CALLER_AUTH,
  introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
  revocation_endpoint_auth_methods_supported: CALLER_AUTH,
  revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
  claims_supported: [
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "iss",
    "jti",
    "auth_time",
    "azp",
    "at_hash",
    "client_id",
    "name",
    "preferred_username",
    "updated_at",
    "urn:zitadel:iam:user:resourceowner:id",
    "urn:zitadel:iam:user:resourceowner:name",
    "urn:zitadel:iam:user:resourceowner:primary_domain",
    "urn:zitadel:iam:org:domain:primary",
  ],
});
