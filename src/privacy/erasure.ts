import type { CommandResult } from "../commands/handleCommand.js";
import { handleCommand } from "../commands/handleCommand.js";
import { userDecider } from "../commands/user/decider.js";
import type { UserState } from "../commands/user/state.js";
import { catalogue, DomainError } from "../errors.js";
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
export function createErasure(store: EventStore, vault: Vault) {
  const { keyStore } = vault;

  /** Step (1): marks the user's key, if it has one that is not erased yet; true when it does. */
  const mark = async (userId: string): Promise<boolean> => {
    const entry = await keyStore.get(userId);
    if (entry?.state === "active") await keyStore.markErasing(userId);
    return entry !== undefined && entry.state !== "erased";
  };

  const erase = async (userId: string, actor: ErasureActor): Promise<CommandResult<UserState>> => {
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

  return {
    erase,
    /**
     * A removal recorded while its erasure did not finish (its own append failed, or the removal's
     * answer was lost): carried through now, if the key is still marked and the log shows the user
     * removed. RemoveUser calls it when it finds the user gone.
     */
    async finishIfMarked(userId: string, actor: ErasureActor): Promise<void> {
      if ((await keyStore.get(userId))?.state !== "erasing") return;
      await erase(userId, actor).catch((error: unknown) => {
        if (!(error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id)) throw error;
      });
    },
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
          // Marked for a removal that the log does not show: it stays marked (see above).
          if (!(error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id)) throw error;
        }
      }
      return finished;
    },
  };
}

export type Erasure = ReturnType<typeof createErasure>;
