import type { FormRequest } from "./answer.js";
import { invalidRequest } from "./errors.js";

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

/**
 * The issuer: EXTERNAL_URL, or (embedded default) the origin the request came to, so that a client
 * discovering at http://127.0.0.1:8080 or http://localhost:8080 gets an issuer that matches.
 */
export function issuerOf(req: FormRequest, externalUrl: string | undefined): string {
  if (externalUrl) return externalUrl;
  // HTTP/2 requests name their host in `:authority`.
  const host = req.get("host") ?? String(req.headers[":authority"] ?? "");
  if (!HOST.test(host)) throw invalidRequest("the Host header is not a host name");
  return `${req.protocol}://${host}`;
}
