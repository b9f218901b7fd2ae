import { generateKeyPair, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { NewEvent } from "../../events/envelope.js";
import { newEventId } from "../../events/eventIds.js";
import type { ExpectedRevision, EventStore } from "../../events/eventStore.js";
import { INSTANCE_STREAM, type InstanceAdded } from "../../events/instance.js";
import { SIGNING_KEY_STREAM, type KeyPairAdded } from "../../events/keyPair.js";
import { currentSchemaVersion } from "../../events/registry.js";
import type { Encryption } from "../../crypto/encryption.js";

const generateRsa = promisify(generateKeyPair);
const SIGNING_KEY_BITS = 2048;

/**
 * Appends a fresh RS256 key pair, which from then on signs on every instance. `expectedRevision`
 * `no_stream` makes the first start's key a race that exactly one instance wins.
 */
export async function appendSigningKey(
  store: EventStore,
  encryption: Encryption,
  options: { readonly keyId: string; readonly now: Date; readonly expectedRevision: ExpectedRevision },
): Promise<void> {
  const { privateKey, publicKey } = await generateRsa("rsa", {
    modulusLength: SIGNING_KEY_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const [instance] = await store.readStream(INSTANCE_STREAM);
  const data: KeyPairAdded = { keyId: options.keyId, usage: "sig", algorithm: "RS256", publicKey, privateKey: encryption.encrypt(privateKey) };
  const correlationId = randomUUID();
  const event: NewEvent = {
    id: newEventId(),
    type: "key_pair.added",
    data,
    metadata: {
      resourceOwner: "",
      instanceId: (instance?.data as InstanceAdded | undefined)?.instanceId ?? "",
      editorUser: "SYSTEM",
      createdAt: options.now.toISOString(),
      correlationId,
      causationId: correlationId,
      schemaVersion: currentSchemaVersion("key_pair.added"),
    },
  };
  await store.append(SIGNING_KEY_STREAM, [event], { expectedRevision: options.expectedRevision });
}
