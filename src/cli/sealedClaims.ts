import type { RecordedEvent } from "../events/envelope.js";
import type { EventStore, UniqueConstraint } from "../events/eventStore.js";
import { createOpener } from "../privacy/personalDataStore.js";
import type { Vault } from "../privacy/vault.js";
import { claims } from "./importLog.js";

/**
 * Import and migrate copy events as they are, sealed, yet claim userNames as the commands did, by
 * the plaintext under the key (the store layer turns it into its keyed hash). `tap` opens each
 * event on its way past and keeps what it claims while the consumer handles it (one at a time).
 */
export function sealedClaims(vault: Vault) {
  const open = createOpener(vault);
  let current: { readonly id: string; readonly claims: UniqueConstraint[] } | undefined;
  async function* tap(events: AsyncIterable<RecordedEvent>): AsyncGenerator<RecordedEvent> {
    for await (const event of events) {
      current = { id: event.id, claims: claims(await open(event)) };
      yield event;
    }
  }
  return {
    tap,
    /** A store whose readAll goes through `tap`. */
    tapped: (store: EventStore): EventStore => ({ ...store, readAll: (options) => tap(store.readAll(options)) }),
    claimsOf: (event: RecordedEvent): UniqueConstraint[] => (current?.id === event.id ? current.claims : claims(event)),
  };
}
