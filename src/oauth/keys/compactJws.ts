import { sign, type KeyObject } from "node:crypto";

/** What a signed token's protected header says; `typ` is "JWT" for every token issued here. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

const headers = new WeakMap<SigningKey, string>();

/**
 * RFC 7515 compact serialization of an RS256 JWT (RSASSA-PKCS1-v1_5 with SHA-256): the header's
 * base64url once per key, the claims' JSON in base64url by Buffer, the signature computed by
 * node:crypto on libuv's thread pool (the callback form of `sign`). Issuing a JWT is the one thing
 * here that signs; jose's SignJWT did the same in JavaScript, with its own base64 encoder and a
 * WebCrypto job, at about twice the main thread's CPU per token. Every token is still verified
 * (here and by clients) by jose, against the JWKS.
 */
export async function signJwt(claims: object, key: SigningKey): Promise<string> {
  let header = headers.get(key);
  if (header === undefined) {
    // What `sign` makes of another kind of key is no RS256 signature.
    if (key.privateKey.asymmetricKeyType !== "rsa") throw new Error(`signing key ${key.kid} is not an RSA key`);
    headers.set(key, (header = base64url(JSON.stringify({ alg: "RS256", kid: key.kid, typ: "JWT" }))));
  }
  const input = `${header}.${base64url(JSON.stringify(claims))}`;
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(input), key.privateKey, (error, signature) => (error ? reject(error) : resolve(`${input}.${signature.toString("base64url")}`)));
  });
}

const base64url = (text: string) => Buffer.from(text).toString("base64url");
