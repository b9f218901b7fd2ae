import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import type { RecordedEvent } from "../../events/envelope.js";
import { WrongExpectedRevision } from "../../events/errors.js";
import type { EventStore } from "../../events/eventStore.js";
import { SIGNING_KEY_STREAM, type KeyPairAdded } from "../../events/keyPair.js";
import type { Encryption } from "../../crypto/encryption.js";
import { appendSigningKey } from "./signingKeyEvents.js";


/** Verification keys by `kid`: what resolving a JWT access token needs. */
export interface VerificationKeys {
  /** A published key, as of the log at most `refreshMs` ago. */
  verificationKey(kid: string): Promise<KeyObject | undefined>;
}

export interface KeyRing extends VerificationKeys {
  /** The newest key: it signs every token issued from now on. */
  signingKey(): Promise<{ readonly kid: string; readonly privateKey: KeyObject }>;
  /** The published public keys, newest first (`/oauth/v2/keys`). */
  jwks(): Promise<{ keys: JsonWebKey[] }>;
}

export interface KeyRingOptions {
  readonly store: EventStore;
  readonly encryption: Encryption;
  readonly newId: () => string;
  /**
   * How long a key stays published after a newer one replaced it: the longest a token it signed
   * can live, plus clock skew, so that rotation never invalidates a token before it expires.
   */
  readonly retentionMs: number;
  /** How often the log is looked at for keys other instances (or the CLI) added. */
  readonly refreshMs?: number;
  /** Milliseconds since the epoch; what decides which keys are still published. */
  readonly clock?: () => number;
}

interface RingKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly jwk: JsonWebKey;
  readonly addedAt: number;
  readonly encryptedPrivateKey: KeyPairAdded["privateKey"];
}

/**
 * Signing keys are events in the log (`key_pair.added`, private keys encrypted), so that a restart
 * and every instance sign and verify with the same keys. The first start adds one; `idledger
 * rotate-signing-key` adds the next, which every instance picks up within `refreshMs`.
 */
export async function openKeyRing({ store, encryption, newId, retentionMs, refreshMs = 1000, clock = Date.now }: KeyRingOptions): Promise<KeyRing> {
  const keys: RingKey[] = [];
  let lastRevision = -1;
  let readAt = 0;
  let reading: Promise<void> | undefined;
  let signer: { kid: string; privateKey: KeyObject } | undefined;

  const readNew = async () => {
    const events = await store.readStream(SIGNING_KEY_STREAM, { fromRevision: lastRevision + 1 });
    for (const event of events) keys.push(ringKey(event));
    lastRevision = events.at(-1)?.revision ?? lastRevision;
    readAt = clock();
  };
  // One read at a time; callers in the meantime wait for the same one.
  const refresh = () => (reading ??= readNew().finally(() => (reading = undefined)));
  const fresh = async () => {
    if (clock() - readAt >= refreshMs) await refresh();
  };

  await readNew();
  if (keys.length === 0) {
    await appendSigningKey(store, encryption, { keyId: newId(), now: new Date(clock()), expectedRevision: "no_stream" }).catch((error: unknown) => {
      // Another instance started at the same moment and won: its key is the one.
      if (!(error instanceof WrongExpectedRevision)) throw error;
    });
    await readNew();
  }

  const newest = () => keys.at(-1)!;
  const published = () => {
    const now = clock();
    return keys.filter((key, i) => i === keys.length - 1 || keys[i + 1]!.addedAt + retentionMs > now);
  };

  return {
    async signingKey() {
      await fresh();
      const key = newest();
      if (signer?.kid !== key.kid) signer = { kid: key.kid, privateKey: createPrivateKey(encryption.decrypt(key.encryptedPrivateKey)) };
      return signer;
    },
    async verificationKey(kid) {
      await fresh();
      return published().find((key) => key.kid === kid)?.publicKey;
    },
    async jwks() {
      await fresh();
      return { keys: published().reverse().map((key) => key.jwk) };
    },
  };
}

function ringKey(event: RecordedEvent): RingKey {
  const data = event.data as KeyPairAdded;
  const publicKey = createPublicKey(data.publicKey);
  return {
    kid: data.keyId,
    publicKey,
    jwk: { use: "sig", kid: data.keyId, alg: data.algorithm, ...publicKey.export({ format: "jwk" }) },
    addedAt: Date.parse(event.metadata.createdAt),
    encryptedPrivateKey: data.privateKey,
  };
}
