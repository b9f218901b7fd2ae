import type { IncomingHttpHeaders, ServerResponse } from "node:http";

/**
 * What the form endpoints (token, introspection, revocation) read of a request. express's Request
 * is one; the lean HTTP/1.1 path (src/oauth/leanPath.ts) builds the same from node:http's.
 */
export interface FormRequest {
  /** The parsed form (src/oauth/form.ts, `readForm`); anything but an object reads as an empty form. */
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
  /** "http" or "https", from the connection (no proxy is trusted). */
  readonly protocol: string;
  get(name: string): string | undefined;
}

/** An endpoint's answer, written the same way whichever path served the request. */
export interface OAuthAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON; without it the body is empty. */
  readonly body?: unknown;
  /** A backend failure behind a 5xx, for the request log (never sent). */
  readonly failure?: unknown;
}

export type FormEndpoint = (req: FormRequest, requestId: string) => Promise<OAuthAnswer>;

/** Writes an answer byte for byte as express's `res.status(..).set(..).json(..)` (or `.end()`) writes it. */
export function writeAnswer(res: ServerResponse, { status, headers = {}, body }: OAuthAnswer): void {
  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]!);
  if (body === undefined) return void res.end();
  const json = JSON.stringify(body);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", String(Buffer.byteLength(json, "utf8")));
  res.end(json, "utf8");
}
