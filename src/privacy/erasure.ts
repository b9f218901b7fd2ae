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
 * Crypto-shredding, in an order that a crash at any point leaves safe: (1) the key is marked
 * `erasing`, (2) `user.personal.data.erased` is appended, (3) the key is dropped. A crash before (2)
 * leaves a marked key, and the next start (`finishErasures`) carries the erasure through for a
 * removed user (or unmarks it for one that is not); a crash before (3) likewise. The key is never
 * gone while the log says nothing, and the log never says "erased" for long while the key is there.
 */
export function createErasure(store: EventStore, vault: Vault) {
  const { keyStore } = vault;
  const append = async (userId: string, hasKey: boolean, actor: ErasureActor): Promise<CommandResult<UserState>> => {
    const history = await store.readStream(userStream(userId));
    return handleCommand(store, userDecider, userStream(userId), { type: "ErasePersonalData", hasKey }, (state) => (state.kind === "removed" ? state.resourceOwner : ""), {
      instanceId: history[0]?.metadata.instanceId ?? "",
      ...actor,
    });
  };

  const erase = async (userId: string, actor: ErasureActor): Promise<CommandResult<UserState>> => {
    const entry = await keyStore.get(userId);
    const marked = entry?.state === "active";
    if (marked) await keyStore.markErasing(userId);
    let result: CommandResult<UserState>;
    try {
      result = await append(userId, entry !== undefined, actor);
    } catch (error) {
      if (marked) await keyStore.unmarkErasing(userId);
      throw error;
    }
    if (entry) {
      await keyStore.erase(userId);
      vault.forget(userId);
    }
    return result;
  };

  return {
    erase,
    /** Before RemoveUser appends: marks the user's key, so that a crash right after the removal still erases it. True when it did. */
    async begin(userId: string): Promise<boolean> {
      const entry = await keyStore.get(userId);
      if (entry?.state !== "active") return entry?.state === "erasing";
      await keyStore.markErasing(userId);
      return true;
    },
    /** The removal did not happen: the key is in use again. */
    abandon: (userId: string) => keyStore.unmarkErasing(userId),
    /** At start: erasures a crash interrupted. Returns how many were carried through. */
    async finishErasures(actor: ErasureActor): Promise<number> {
      let finished = 0;
      for (const userId of await keyStore.erasing()) {
        try {
          await erase(userId, actor);
          finished++;
        } catch (error) {
          if (!(error instanceof DomainError && error.id === catalogue.eraseUserNotRemoved.id)) throw error;
          await keyStore.unmarkErasing(userId);
        }
      }
      return finished;
    },
  };
}

export type Erasure = ReturnType<typeof createErasure>;
