import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { RecordedEvent } from "../../events/envelope.js";
import { wireEvent } from "../wireEvent.js";
import { AddressNotAllowed, type EgressPolicy } from "./egress.js";
import { signature } from "./signingKeys.js";

export const SIGNATURE_HEADER = "zitadel-signature";

/**
 * What a delivery that did not reach a 2xx says, to the API and in dead letters. Every failure to
 * connect or to get an answer reads the same (a refused, reset, timed-out or TLS-broken connection,
 * an unresolvable name), so a target cannot be used to tell an open port from a closed one.
 */
export const CONNECTION_FAILED = "connection failed";
export const ADDRESS_NOT_ALLOWED = "address not allowed";

export interface Delivery {
  readonly endpoint: string;
  readonly signingKey: string;
  readonly event: RecordedEvent;
  readonly timeoutMs: number;
  readonly egress: EgressPolicy;
  readonly signal?: AbortSignal;
}

export interface DeliveryFailure {
  /** For the API and dead letters: `HTTP <status>`, CONNECTION_FAILED or ADDRESS_NOT_ALLOWED. */
  readonly failure: string;
  /** For the operator's log only: what the driver said. */
  readonly cause: string;
}

const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

/**
 * One POST of one event; resolves with the failure, or undefined on a 2xx. Redirects are not
 * followed (a 3xx is a failure): the checked endpoint is the only place the event goes.
 */
export async function deliverOnce({ endpoint, signingKey, event, timeoutMs, egress, signal }: Delivery): Promise<DeliveryFailure | undefined> {
  const body = JSON.stringify(wireEvent(event));
  const url = new URL(endpoint);
  // An address literal is dialled without a lookup: check it here; names are checked in `lookup`.
  const literal = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(literal) && !egress.allows(literal)) return { failure: ADDRESS_NOT_ALLOWED, cause: `${literal} is not allowed` };
  try {
    const status = await post(url, body, {
      "content-type": "application/json",
      [SIGNATURE_HEADER]: signature(signingKey, body, Math.floor(Date.now() / 1000)),
      "x-idledger-event-id": event.id,
      "x-idledger-position": event.position.toString(),
    }, egress, AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]));
    return status >= 200 && status < 300 ? undefined : { failure: `HTTP ${status}`, cause: `HTTP ${status}` };
  } catch (error) {
    if (signal?.aborted) throw error;
    const cause = error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error);
    return { failure: error instanceof AddressNotAllowed ? ADDRESS_NOT_ALLOWED : CONNECTION_FAILED, cause };
  }
}

function post(url: URL, body: string, headers: Record<string, string>, egress: EgressPolicy, signal: AbortSignal): Promise<number> {
  const protocol = url.protocol as keyof typeof agents;
  const send = protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: agents[protocol], lookup: egress.lookup, signal }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once("error", reject);
    request.end(body);
  });
}
