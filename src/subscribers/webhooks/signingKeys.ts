import { createHmac, randomBytes } from "node:crypto";

export const newSigningKey = (): string => randomBytes(32).toString("base64url");

/** ZITADEL's Actions v2 signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signature(signingKey: string, body: string, unixSeconds: number): string {
  const mac = createHmac("sha256", signingKey).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}
