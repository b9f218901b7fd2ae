import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { unhandledFailure } from "../api/app.js";
import { restErrorBody, toWireError } from "../api/errorBody.js";
import type { RequestLog, RequestNotes } from "../api/requestLog.js";
import { writeAnswer, type FormEndpoint, type FormRequest, type OAuthAnswer } from "./answer.js";
import { oauthErrorAnswer } from "./errors.js";
import { formFailure, readForm } from "./form.js";

/** Takes a request and answers it (true), or leaves it untouched for the next handler (false). */
export type RequestClaim = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The form endpoints (token, introspection, revocation) over HTTP/1.1 without express: a
 * machine's grant is the request idledger serves most, and express's router and its request and
 * response decorations cost it about as much CPU as the grant itself. The steps are the express
 * route's, from the same parts: request log and metrics, body-parser's bounded form, the endpoint,
 * its answer written by the same writer, a form failure mapped by the same function. Only an exact
 * path and POST are claimed; anything else (another spelling of the path, another verb) goes on to
 * express, which serves these endpoints as before, over HTTP/2 as well.
 */
export function leanFormPath(forms: ReadonlyMap<string, FormEndpoint>, log: RequestLog): RequestClaim {
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const route = query < 0 ? url : url.slice(0, query);
    const endpoint = forms.get(route);
    if (!endpoint) return false;

    // 1. the log line and metrics; 2. the bounded form; 3. the endpoint; 4. its answer
    const notes: RequestNotes = {};
    const requestId = log(req, res, notes);
    const answer = (outcome: OAuthAnswer) => {
      if (outcome.failure !== undefined) notes.error = outcome.failure;
      writeAnswer(res, outcome);
    };
    readForm(req as never, res as never, (error?: unknown) => {
      if (error !== undefined) return answer(formFailure(error) ?? unreadable(error));
      // As express sets it: once the form is in, the route is known.
      notes.route = route;
      void endpoint(formRequest(req), requestId)
        .catch(oauthErrorAnswer)
        .then(answer)
        // An answer that cannot be written (the connection went away mid-way) ends the request.
        .catch(() => res.destroy());
    });
    return true;
  };
}

/** What express's final handler answers to a failure no route took (src/api/app.ts). */
function unreadable(error: unknown): OAuthAnswer {
  const failure = unhandledFailure(error);
  const wire = toWireError(failure);
  return { status: wire.httpStatus, body: restErrorBody(wire), failure };
}

/** What express's Request gives the endpoints: the parsed form, `get` and `protocol` (no proxy trusted). */
function formRequest(req: IncomingMessage): FormRequest {
  const { headers } = req;
  return {
    body: (req as { body?: unknown }).body,
    headers,
    protocol: (req.socket as TLSSocket).encrypted ? "https" : "http",
    get: (name) => {
      const lower = name.toLowerCase();
      const value = lower === "referer" || lower === "referrer" ? (headers.referrer ?? headers.referer) : headers[lower];
      return value as string | undefined;
    },
  };
}
