/** What a personal field reads as once its subject's key is erased (docs/privacy.md). */
export const ERASED = "[erased]";

/** The payload key of a sealed event: its personal fields, encrypted together (src/privacy/sealing.ts). */
export const SEALED = "$enc";

/**
 * The personal fields of each event type, encrypted with the user's own key. `newKey`: the event
 * gives its user a key when it has none (a human, or any user with metadata); the others are
 * encrypted only when the user has one, so a machine's userName stays readable.
 */
export const personalFields: Readonly<Record<string, { readonly fields: readonly string[]; readonly newKey: boolean }>> = {
  "user.human.added": { fields: ["userName", "firstName", "lastName", "nickName", "displayName", "preferredLanguage", "gender", "email", "phone"], newKey: true },
  "user.human.profile.changed": { fields: ["firstName", "lastName", "nickName", "displayName", "preferredLanguage", "gender"], newKey: true },
  "user.human.email.changed": { fields: ["email"], newKey: true },
  "user.human.phone.changed": { fields: ["phone"], newKey: true },
  "user.metadata.set": { fields: ["value"], newKey: true },
  "user.username.changed": { fields: ["userName", "oldUserName"], newKey: false },
  "user.removed": { fields: ["userName"], newKey: false },
};

/** A personal field's schema: its own, or the erased marker. */
export const erasable = <S extends object>(schema: S) => ({ anyOf: [schema, { type: "string", const: ERASED }] }) as unknown as S;
