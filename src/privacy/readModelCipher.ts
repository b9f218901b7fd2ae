import { ERASED, SEALED } from "../events/personalData.js";
import type { DocumentCipher } from "../projections/redis/redisReadModel.js";
import type { Doc } from "../projections/readModel.js";
import { collections } from "../projections/views.js";
import { openFields, sealedNames, sealFields } from "./sealing.js";
import type { Vault } from "./vault.js";

/** The personal fields of each read-model collection, and whose key seals them. */
const personal: Readonly<Record<string, { readonly fields: readonly string[]; readonly subject: (id: string, doc: Doc) => string }>> = {
  [collections.users]: { fields: ["userName", "human"], subject: (id) => id },
  [collections.userMetadata]: { fields: ["value"], subject: (_id, doc) => String(doc.userId) },
};

/**
 * Keeps personal fields sealed in Redis under the user's own key, as in the log, so that a Redis
 * dump, RDB snapshot or AOF holds no plaintext and an erasure shreds those copies too; the
 * userName index holds keyed hashes. Reads open the fields again.
 */
export function readModelCipher(vault: Vault): DocumentCipher {
  return {
    async seal(collection, id, doc) {
      const spec = personal[collection];
      if (!spec) return doc;
      const subject = spec.subject(id, doc);
      const key = await vault.key(subject, false);
      // A machine without metadata has no key and nothing personal; an erased user's values read "[erased]" already.
      if (key === undefined || key === "erased") return doc;
      const fields = Object.fromEntries(spec.fields.filter((name) => doc[name] !== undefined).map((name) => [name, doc[name]]));
      const rest = Object.fromEntries(Object.entries(doc).filter(([name]) => !(name in fields)));
      return { ...rest, [SEALED]: sealFields(key, `${collection}\0${id}`, fields) };
    },
    async open(collection, id, doc) {
      const spec = personal[collection];
      if (!spec || !(SEALED in doc)) return doc;
      const { [SEALED]: sealed, ...rest } = doc;
      const key = await vault.keyToOpen(spec.subject(id, doc));
      if (key === "erased") return { ...rest, ...Object.fromEntries(sealedNames(sealed, spec.fields).map((name) => [name, ERASED])) };
      return { ...rest, ...openFields(key, `${collection}\0${id}`, sealed as string, spec.fields) };
    },
    indexValue: async (collection, index, value) => (collection === collections.users && index === "userName" ? vault.hashUnique(value) : value),
  };
}
