import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import type { FormRequest, OAuthAnswer } from "./answer.js";
import { OAuthError, invalidRequest, oauthErrorAnswer } from "./errors.js";

/** Bounds on what a client sends: the whole form, its parameters, an assertion in it, and credentials. */
export const FORM_LIMIT = 16 * 1024;
const MAX_PARAMETERS = 32;
const MAX_ASSERTION_LENGTH = 8192;
const MAX_CREDENTIAL_LENGTH = 256;

const FORM_TYPE = "application/x-www-form-urlencoded";
/** What almost every client sends: the form's type, at most with charset=utf-8, and a length that fits. */
const PLAIN_FORM = /^application\/x-www-form-urlencoded(?:\s*;\s*charset="?utf-8"?)?$/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** A form the client got wrong, shaped as body-parser's refusals are (status, type) for formFailure and express's final handler. */
const refused = (status: number, type: string, message: string) => Object.assign(new Error(message), { status, type, expose: true });

/** Everything but the plain case: body-parser reads (length, compression, charset), `formFields` parses. */
const readText = express.text({ type: FORM_TYPE, limit: FORM_LIMIT });

type FormMessage = IncomingMessage & { body?: unknown };

/**
 * The bounded form reader of the token, introspection and revocation endpoints, for the express
 * routes and the lean path alike (src/oauth/leanPath.ts). The plain case (the form's type, a
 * Content-Length within 16 KB, no Content-Encoding: what a machine sends for its token) is read
 * here in a few lines; anything else goes through body-parser's reader, which inflates, checks the
 * charset and enforces the limit on the way. Either way `formFields` makes the form, so both read
 * it alike. A body that is not a form leaves `req.body` undefined, as body-parser does.
 */
export function readForm(req: FormMessage, res: ServerResponse, next: (error?: unknown) => void): void {
  const { headers } = req;
  const length = headers["content-length"];
  const plain =
    !req.readableEnded &&
    PLAIN_FORM.test(headers["content-type"] ?? "") &&
    headers["content-encoding"] === undefined &&
    headers["transfer-encoding"] === undefined &&
    length !== undefined &&
    /^\d{1,5}$/.test(length) &&
    Number(length) <= FORM_LIMIT;
  if (!plain) return readText(req as never, res as never, (error?: unknown) => (error !== undefined ? next(error) : textRead(req, next)));

  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (error?: unknown) => {
    if (settled) return;
    settled = true;
    req.off("data", take).off("end", end).off("error", aborted).off("close", aborted);
    next(error);
  };
  const take = (chunk: Buffer) => chunks.push(chunk);
  const end = () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    let fields: ReturnType<typeof formFields>;
    try {
      fields = formFields(body.toString("utf8"), false);
    } catch (error) {
      return settle(error);
    }
    req.body = fields;
    settle();
  };
  // node:http has framed the body by its Content-Length: what arrives is at most that. A client
  // that goes away mid-way is an error here as in body-parser (400), and its answer goes nowhere.
  const aborted = () => settle(refused(400, "request.aborted", "request aborted"));
  req.on("data", take).on("end", end).on("error", aborted).on("close", aborted);
}

/** After body-parser's text reader: its text parsed as a form, if it was one; a charset forms are not read in is refused, as body-parser's form reader refuses it. */
function textRead(req: FormMessage, next: (error?: unknown) => void): void {
  if (typeof req.body !== "string") {
    req.body = undefined;
    return next();
  }
  const charset = (CHARSET.exec(req.headers["content-type"] ?? "")?.[1] ?? "utf-8").toLowerCase();
  if (charset !== "utf-8" && charset !== "iso-8859-1") return next(refused(415, "charset.unsupported", `unsupported charset "${charset.toUpperCase()}"`));
  let fields: ReturnType<typeof formFields>;
  try {
    fields = formFields(req.body, charset === "iso-8859-1");
  } catch (error) {
    return next(error);
  }
  req.body = fields;
  next();
}

/**
 * application/x-www-form-urlencoded as Go's url.ParseQuery reads it in ZITADEL: `&`-separated
 * `name=value` pairs, `+` a space, %-escapes decoded (UTF-8; Latin-1 for a form sent in
 * ISO-8859-1), a broken escape an error ("error parsing form"), a name given twice an array (for
 * `param` to refuse). At most 32 parameters. The object inherits nothing, so no name means more
 * than the client sent.
 */
export function formFields(text: string, latin1: boolean): Record<string, string | string[]> {
  const form = new Fields();
  // body-parser's decoder drops a byte order mark.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return form;
  let parameters = 1;
  for (let at = body.indexOf("&"); at !== -1; at = body.indexOf("&", at + 1)) {
    if (++parameters > MAX_PARAMETERS) throw refused(413, "parameters.too.many", "too many parameters");
  }
  for (const pair of body.split("&")) {
    const equals = pair.indexOf("=");
    const name = unescapeForm(equals < 0 ? pair : pair.slice(0, equals), latin1);
    if (name === "") continue;
    const value = equals < 0 ? "" : unescapeForm(pair.slice(equals + 1), latin1);
    const earlier = form[name];
    form[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return form;
}

/** Objects with nothing to inherit (their prototype has none): unlike Object.create(null)'s, they keep V8's fast properties. */
const Fields = function Fields() {} as unknown as new () => Record<string, string | string[]>;
Fields.prototype = Object.create(null);

const LATIN1_ESCAPE = /%([0-9a-f]{2})/gi;

function unescapeForm(escaped: string, latin1: boolean): string {
  const spaced = escaped.includes("+") ? escaped.replaceAll("+", " ") : escaped;
  if (!spaced.includes("%")) return spaced;
  if (latin1) return spaced.replace(LATIN1_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw refused(400, "form.parse.failed", "invalid %-escape in the form");
  }
}

/** A form the client got wrong (too large, bad charset, too many parameters), in OAuth's shape; undefined when it was not the client's doing. */
export function formFailure(error: unknown): OAuthAnswer | undefined {
  const { status } = (error ?? {}) as { status?: unknown };
  if (typeof status !== "number" || status >= 500) return undefined;
  return oauthErrorAnswer(invalidRequest(status === 413 ? "the request body is too large" : "error parsing form"));
}

/**
 * One form parameter. RFC 6749 §3.1: a parameter must not be sent twice. Only a form body counts;
 * anything else reads as an empty form, as Go's ParseForm reads it in ZITADEL.
 */
export function param(req: FormRequest, name: string, maxLength = MAX_CREDENTIAL_LENGTH): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw invalidRequest(`parameter ${name} must be given once`);
  if (value.length > maxLength) throw invalidRequest(`parameter ${name} is too long`);
  return value;
}

export const assertionParam = (req: FormRequest, name: string) => param(req, name, MAX_ASSERTION_LENGTH);

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export type ClientCredentials =
  | { readonly kind: "secret"; readonly clientId: string; readonly clientSecret?: string }
  | { readonly kind: "assertion"; readonly assertion: string };

/**
 * zitadel/oidc's parseClientCredentials: HTTP Basic (halves URL-decoded), or client_id and
 * client_secret in the form, or a private_key_jwt client_assertion; never two methods at once.
 */
export function clientCredentials(req: FormRequest): ClientCredentials {
  const assertion = assertionParam(req, "client_assertion");
  const assertionType = param(req, "client_assertion_type");
  let clientId = param(req, "client_id");
  let clientSecret = param(req, "client_secret");
  const assertionAuth = assertion !== undefined && assertionType !== undefined;
  const secretAuth = clientId !== undefined && clientSecret !== undefined;
  if (assertionAuth && secretAuth) throw invalidRequest("client authentication must not use more than one method");

  const basic = basicAuth(req.get("authorization"));
  if (basic) {
    if (assertionAuth || secretAuth) throw invalidRequest("client authentication must not use more than one method");
    ({ clientId, clientSecret } = basic);
  }
  if (clientId === undefined && assertion === undefined) throw invalidRequest("client_id or client_assertion must be provided");
  if (assertion !== undefined && clientSecret === undefined) {
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw invalidRequest(`invalid client_assertion_type ${assertionType ?? ""}`);
    return { kind: "assertion", assertion };
  }
  return { kind: "secret", clientId: clientId!, ...(clientSecret !== undefined ? { clientSecret } : {}) };
}

function basicAuth(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = header && /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    // Go's url.QueryUnescape, which ZITADEL applies to both halves: "+" is a space, as in a form.
    const clientId = unescapeForm(decoded.slice(0, colon), false);
    const clientSecret = unescapeForm(decoded.slice(colon + 1), false);
    if (clientId.length > MAX_CREDENTIAL_LENGTH || clientSecret.length > MAX_CREDENTIAL_LENGTH) throw new URIError("too long");
    return { clientId, clientSecret };
  } catch {
    throw new OAuthError("invalid_client", "invalid basic auth header");
  }
}
