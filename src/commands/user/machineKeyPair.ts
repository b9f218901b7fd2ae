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

/**
 * ZITADEL's crypto.BytesToPublicKey: a PEM `PUBLIC KEY` block holding an RSA key; anything else is
 * COMMAND-5F3h1. Returns the key re-encoded, so what is stored is exactly one clean PEM block.
 */
export function rsaPublicKeyPem(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  if (!text.includes("-----BEGIN PUBLIC KEY-----")) return fail("machineKeyInvalid");
  try {
    const key = createPublicKey({ key: text, format: "pem" });
    if (key.asymmetricKeyType !== "rsa") return fail("machineKeyInvalid");
    return key.export({ type: "spki", format: "pem" }).toString();
  } catch {
    return fail("machineKeyInvalid");
  }
}

/** ZITADEL's key file (domain.MachineKeyMarshalJSON), returned once as AddMachineKey's keyDetails. */
export const machineKeyFile = (keyId: string, privateKeyPem: string, expirationDate: string, userId: string): string =>
  JSON.stringify({ type: "serviceaccount", keyId, key: privateKeyPem, expirationDate: goTime(expirationDate), userId });

/** Go's time.Time JSON (RFC 3339 with the fraction's trailing zeros dropped): 9999-12-31T23:59:59Z. */
const goTime = (iso: string) => iso.replace(/\.?0+Z$/, "Z");
