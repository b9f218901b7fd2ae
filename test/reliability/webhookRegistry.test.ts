import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { handleCommand } from "../../src/commands/handleCommand.js";
import { aesGcmEncryption } from "../../src/crypto/encryption.js";
import { EventStoreUnavailable } from "../../src/events/errors.js";
import type { EventStore } from "../../src/events/eventStore.js";
import { createSqliteEventStore } from "../../src/events/sqlite/sqliteEventStore.js";
import { withEventSchemas } from "../../src/events/validatingStore.js";
import { webhookStream } from "../../src/events/webhook.js";
import { createLogger } from "../../src/logger.js";
import { startDispatcher } from "../../src/subscribers/webhooks/dispatcher.js";
import { egressPolicy } from "../../src/subscribers/webhooks/egress.js";
import { openSqliteDeliveryState } from "../../src/subscribers/webhooks/sqliteDeliveryState.js";
import { targetDecider } from "../../src/subscribers/webhooks/targetDecider.js";
import { eventually } from "../support/eventually.js";

const dir = await mkdtemp(join(tmpdir(), "idledger-registry-"));
after(() => rm(dir, { recursive: true, force: true }));

/**
 * The real SQLite log, whose first subscription (the registry's: the dispatcher opens it before any
 * worker) breaks off after `failAfter` events, as a connection to EventStoreDB does when it drops.
 */
function failingOnce(store: EventStore, failAfter: number) {
  let opened = 0;
  let failed = false;
  /** Where each subscription opened after the failure starts; the first is the registry's own. */
  const afterFailure: bigint[] = [];
  const wrapped: EventStore = {
    ...store,
    subscribe(options) {
      if (failed) afterFailure.push(options?.from ?? 0n);
      const inner = store.subscribe(options);
      if (opened++ > 0) return inner;
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          let yielded = 0;
          for await (const event of inner) {
            if (yielded++ === failAfter) {
              failed = true;
              throw new EventStoreUnavailable("connection lost");
            }
            yield event;
          }
        },
      };
    },
  };
  return { store: wrapped, afterFailure };
}

it("the webhook registry follows the log again from where it was when its subscription fails", async () => {
  const log = withEventSchemas(createSqliteEventStore({ path: join(dir, "events.sqlite") }));
  const encryption = aesGcmEncryption(randomBytes(32));
  const addTarget = async (name: string) => {
    const id = randomUUID();
    const target = { name, endpoint: "http://127.0.0.1:9/", eventTypes: ["no.such.event"], signingKey: encryption.encrypt("key") };
    await handleCommand(log, targetDecider, webhookStream(id), { type: "AddTarget", target }, () => "", {
      instanceId: "i",
      editorUser: "SYSTEM",
      correlationId: randomUUID(),
      now: () => new Date(),
    });
    return id;
  };
  const before = [await addTarget("one"), await addTarget("two")];
  const { store, afterFailure } = failingOnce(log, 2);
  const state = openSqliteDeliveryState(join(dir, "webhooks.sqlite"));
  const dispatcher = startDispatcher({
    store,
    state,
    encryption,
    egress: egressPolicy([{ address: "127.0.0.0", prefix: 8, family: "ipv4" }]),
    retry: { maxAttempts: 1, backoffMs: 10, maxBackoffMs: 10, timeoutMs: 1000 },
    logger: createLogger("error", true),
    leases: undefined,
  });
  try {
    const afterwards = await addTarget("three");
    const ids = await eventually(() => dispatcher.targets().map(({ target }) => target.id), (known) => known.length === 3);
    assert.deepEqual(ids, [...before, afterwards]);
    assert.equal(afterFailure[0], 2n, "resubscribed right after the last event it had applied");
  } finally {
    await dispatcher.stop();
    await state.close();
    await log.close();
  }
});
