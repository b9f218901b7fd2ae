import { SYSTEM_USER_ID } from "../commands/commands.js";
import type { CommandResult } from "../commands/handleCommand.js";
import { handleCommand } from "../commands/handleCommand.js";
import { userDecider } from "../commands/user/decider.js";
import type { UserState } from "../commands/user/state.js";
import { catalogue, DomainError } from "../errors.js";
import { EventStoreRefused } from "../events/errors.js";
import type { EventStore } from "../events/eventStore.js";
import { userStream } from "../events/user.js";
import type { Vault } from "./vault.js";

/** Who erases, for the erasure event's metadata. */
export interface ErasureActor {
  readonly editorUser: string;
  readonly correlationId: string;
  readonly now: () => Date;
}

/**
 * Crypto-shredding, in an order that a crash at any point leaves safe: (1) once the removal (or the
 * erasure) is authorized and decided, right before its event is appended, the key is marked
 * `erasing`; (2) the event is appended, then `user.personal.data.erased`; (3) the key is dropped. A
 * crash after (1) leaves a marked key, and the next start (`finishErasures`) carries the erasure
 * through if the log shows the user removed. A mark is never taken back: a removal whose append
 * failed may have been recorded all the same (an answer lost), and another attempt, on this
 * instance or another, may be between its mark and its append. A marked key of a user who is not
 * removed is used as any other (it opens and seals); its erasure is carried through once the user
 * is removed. The key is never gone while the log says nothing, and the log never says "erased"
 * for long while the key is there.
 */
export function createErasure(store: EventStore, vault: Vault, { retryFirstMs = RETRY_FIRST_MS, retryMaxMs = RETRY_MAX_MS, maxRetries = MAX_RETRIES }: RetryOptions = {}) {
  const { keyStore } = vault;

  // Erasures that failed on a backend (the key store or the log gone for a moment), tried again
  // while the process runs. An entry stays until its attempts end (erased, no longer marked, or
  // refused), so that one user has one chain of attempts; its timer is unset while one runs.
  const retries = new Map<string, { timer: NodeJS.Timeout | undefined; readonly delayMs: number; readonly correlationId: string }>();
  let closed = false;
  const schedule = (userId: string, correlationId: string, delayMs: number) => {
    if (closed || retries.size >= maxRetries) return;
    const retry = { timer: undefined as NodeJS.Timeout | undefined, delayMs, correlationId };
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      // In the system's name: whoever removed the user, the system carries the erasure through.
      finishIfMarked(userId, { editorUser: SYSTEM_USER_ID, correlationId, now: () => new Date() }).then(
        () => retries.delete(userId),
        (error: unknown) => {
          retries.delete(userId);
          if (onBackend(error)) schedule(userId, correlationId, Math.min(delayMs * 2, retryMaxMs));
        },
      );
    }, delayMs).unref();
    retries.set(userId, retry);
  };
  // A user whose erasure is being tried again already keeps its one chain.
  const retryLater = (userId: string, actor: ErasureActor) => {
    if (!retries.has(userId)) schedule(userId, actor.correlationId, retryFirstMs);
  };

  /** Step (1): marks the user's key, if it has one that is not erased yet; true when it does. */
  const mark = async (userId: string): Promise<boolean> => {
    const entry = await keyStore.get(userId);
    if (entry?.state === "active") await keyStore.markErasing(userId);
    return entry !== undefined && entry.state !== "erased";
  };

  const erase = (userId: string, actor: ErasureActor): Promise<CommandResult<UserState>> =>
    eraseOnce(userId, actor).catch((error: unknown) => {
      if (onBackend(error)) retryLater(userId, actor);
      throw error;
    });

  const eraseOnce = async (userId: string, actor: ErasureActor): Promise<CommandResult<UserState>> => {
    const entry = await keyStore.get(userId);
    const history = await store.readStream(userStream(userId));
    const result = await handleCommand(
      store,
      userDecider,
      userStream(userId),
      { type: "ErasePersonalData", hasKey: entry !== undefined },
      (state) => (state.kind === "removed" ? state.resourceOwner : ""),
      { instanceId: history[0]?.metadata.instanceId ?? "", ...actor },
      undefined,
      // Step (1) with the entry read above: markErasing only ever turns an active key into a marked one.
      async () => {
        if (entry?.state === "active") await keyStore.markErasing(userId);
      },
    );
    // Also when nothing was appended: the log said "erased" already (a crash before this step).
    if (entry) {
      await keyStore.erase(userId);
      vault.forget(userId);
    }
    return result;
  };

  /**
   * A removal recorded while its erasure did not finish (its own append failed, or the removal's
   * answer was lost): carried through now, if the key is still marked and the log shows the user
   * removed. RemoveUser calls it when it finds the user gone.
   */
  const finishIfMarked = async (userId: string, actor: ErasureActor): Promise<void> => {
    if ((await keyStore.get(userId))?.state !== "erasing") return;
    await erase(userId, actor).catch((error: unknown) => {
      if (!(error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id)) throw error;
    });
  };

  return {
    /**
     * Erases a removed user's personal data (RemoveUser, the erase endpoint and command). One that
     * fails on a backend is tried again by itself, in the system's name, after 1 s and then twice
     * as long each time up to 5 min, for as long as the process runs and until it holds (for up to
     * `maxRetries` users at once; the next start finishes the rest): a removed user's key does not
     * stay usable until a restart or another RemoveUser.
     */
    erase,
    finishIfMarked,
    /** For RemoveUser's `beforeAppend`: marks the user's key before the removal is appended. True when there is a key to erase once it is. */
    mark,
    /** At start: erasures a crash interrupted. Returns how many were carried through. */
    async finishErasures(actor: ErasureActor): Promise<number> {
      let finished = 0;
      for (const userId of await keyStore.erasing()) {
        try {
          await erase(userId, actor);
          finished++;
        } catch (error) {
          // Marked for a removal that the log does not show: it stays marked (see above). One
          // that failed on a backend is tried again by itself; the others go on meanwhile.
          if (!(error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id) && !onBackend(error)) throw error;
        }
      }
      return finished;
    },
    /** No more attempts of failed erasures: the store is closing (the next start finishes them). */
    close(): void {
      closed = true;
      for (const { timer } of retries.values()) clearTimeout(timer);
      retries.clear();
    },
  };
}

export interface RetryOptions {
  readonly retryFirstMs?: number;
  readonly retryMaxMs?: number;
  /** Users whose erasure is retried at once, at most: past it, the next start finishes the rest. */
  readonly maxRetries?: number;
}

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 300_000;
const MAX_RETRIES = 10_000;

/**
 * A failure of a backend (worth trying again: the key store's errors, the log unavailable or in a
 * conflict), not a refusal of the erasure itself nor of the log for good (a deleted stream, access
 * denied).
 */
const onBackend = (error: unknown) =>
  error instanceof DomainError ? error.category === "Unavailable" || error.category === "Internal" : !(error instanceof EventStoreRefused);

export type Erasure = ReturnType<typeof createErasure>;
