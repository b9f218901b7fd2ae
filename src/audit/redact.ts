/**
 * Payload fields that hold a hash of a secret (a client secret, a password, a token, a code) or
 * an encrypted one (a webhook signing key, an OIDC signing key's private half).
 * Hashes are forever in the log, but they never leave it through the audit API or a subscriber,
 * since an offline guess against a leaked hash needs nothing from us.
 */
const secretFields = new Set(["hashedSecret", "encodedHash", "tokenHash", "code", "signingKey", "privateKey"]);

export const REDACTED = "[redacted]";

/** A copy of `data` with every secret-bearing field, at any depth, replaced by `REDACTED`. */
export function redactPayload(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(redactPayload);
  if (typeof data !== "object" || data === null) return data;
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, secretFields.has(key) ? REDACTED : redactPayload(value)]),
  );
}
