import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import type { restClient } from "./service.js";

/** The scope a token needs to call the Management API, as in ZITADEL. */
export const API_SCOPE = "urn:zitadel:iam:org:project:id:zitadel:aud";

type Rest = ReturnType<typeof restClient>;

export interface TestMachine {
  readonly userId: string;
  readonly userName: string;
  readonly resourceOwner: string;
}

/** A machine user created over REST (by the admin unless `token` says otherwise). */
export async function addMachine(call: Rest, userName: string, options: { jwt?: boolean; orgId?: string } = {}): Promise<TestMachine> {
  const created = await call(
    "POST",
    "/management/v1/users/machine",
    { userName, name: `Machine ${userName}`, accessTokenType: options.jwt ? "ACCESS_TOKEN_TYPE_JWT" : "ACCESS_TOKEN_TYPE_BEARER" },
    options.orgId ? { orgId: options.orgId } : {},
  );
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return { userId: created.body.userId, userName, resourceOwner: created.body.details.resourceOwner };
}

export async function generateSecret(call: Rest, machine: TestMachine, orgId?: string): Promise<string> {
  const generated = await call("PUT", `/management/v1/users/${machine.userId}/secret`, {}, orgId ? { orgId } : {});
  assert.equal(generated.status, 200, JSON.stringify(generated.body));
  return generated.body.clientSecret;
}

/** ZITADEL's key file, as AddMachineKey returns it once. */
export interface KeyFile {
  readonly type: "serviceaccount";
  readonly keyId: string;
  readonly key: string;
  readonly expirationDate: string;
  readonly userId: string;
}

export async function addKey(call: Rest, machine: TestMachine): Promise<KeyFile> {
  const added = await call("POST", `/management/v1/users/${machine.userId}/keys`, { type: "KEY_TYPE_JSON" });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  return JSON.parse(Buffer.from(added.body.keyDetails, "base64").toString("utf8")) as KeyFile;
}

/** A JWT-profile assertion as ZITADEL's SDKs sign it from a key file; `claims` overrides. */
export async function assertion(file: KeyFile, audience: string, claims: Record<string, unknown> = {}, kid = file.keyId): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: file.userId, sub: file.userId, aud: audience, iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid })
    .sign(createPrivateKey(file.key));
}

/** A raw form POST, for the answers the OAuth clients turn into exceptions. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export const basic = (clientId: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
});
