import { createPublicKey, generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { fail } from "../../errors.js";

const generateRsa = promisify(generateKeyPair);

/** ZITADEL's default MachineKeySize. */
const MACHINE_KEY_BITS = 2048;

/** A fresh RSA pair as ZITADEL's crypto package writes it: PKCS#1 private PEM, PKIX public PEM. */
export async function newMachineKeyPair(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = await generateRsa("rsa", {
    modulusLength: MACHINE_KEY_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// A key below 2048 bits can be factored by a determined attacker (NIST SP 800-131A); one above
// 8192 makes every JWT-profile signature check cost more than it protects.
const SUPPLIED_KEY_BITS = [MACHINE_KEY_BITS, 8192] as const;

/**
 * ZITADEL's crypto.BytesToPublicKey: a PEM `PUBLIC KEY` block holding an RSA key; anything else is
 * COMMAND-5F3h1. Its modulus must be 2048 to 8192 bits (idledger's rule). Returns the key
 * re-encoded, so what is stored is exactly one clean PEM block.
 */
export function rsaPublicKeyPem(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  if (!text.includes("-----BEGIN PUBLIC KEY-----")) return fail("machineKeyInvalid");
  let key;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch {
    return fail("machineKeyInvalid");
  }
  if (key.asymmetricKeyType !== "rsa") return fail("machineKeyInvalid");
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < SUPPLIED_KEY_BITS[0] || bits > SUPPLIED_KEY_BITS[1]) return fail("machineKeySize");
  return key.export({ type: "spki", format: "pem" }).toString();
}

/** ZITADEL's key file (domain.MachineKeyMarshalJSON), returned once as AddMachineKey's keyDetails. */
export const machineKeyFile = (keyId: string, privateKeyPem: string, expirationDate: string, userId: string): string =>
  JSON.stringify({ type: "serviceaccount", keyId, key: privateKeyPem, expirationDate: goTime(expirationDate), userId });

/** Go's time.Time JSON (RFC 3339 with the fraction's trailing zeros dropped): 9999-12-31T23:59:59Z. */
const goTime = (iso: string) => iso.replace(/\.?0+Z$/, "Z");
