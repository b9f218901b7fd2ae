import type { RecordedEvent } from "../../events/envelope.js";
import { wireEvent } from "../wireEvent.js";
import { signature } from "./signingKeys.js";

export const SIGNATURE_HEADER = "zitadel-signature";

export interface Delivery {
  readonly endpoint: string;
  readonly signingKey: string;
  readonly event: RecordedEvent;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** One POST of one event; resolves with the failure's description, or undefined on a 2xx. */
export async function deliverOnce({ endpoint, signingKey, event, timeoutMs, signal }: Delivery): Promise<string | undefined> {
  const body = JSON.stringify(wireEvent(event));
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: signature(signingKey, body, Math.floor(Date.now() / 1000)),
        "x-idledger-event-id": event.id,
        "x-idledger-position": event.position.toString(),
      },
      body,
      signal: AbortSignal.any(signals),
      redirect: "manual",
    });
    await response.body?.cancel();
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    if (signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ?? (error instanceof Error ? error.name : String(error));
  }
}
