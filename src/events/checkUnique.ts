import { UniqueConstraintViolation } from "./errors.js";
import type { UniqueConstraint } from "./eventStore.js";

/**
 * `EventStore.checkUnique` for an adapter that can say which stream holds a value (`undefined`:
 * none): the constraints in order, an `add` refused when another stream holds its value and no
 * `remove` before it in the list gives that value back.
 */
export async function checkUnique(
  stream: string,
  constraints: readonly UniqueConstraint[],
  holderOf: (constraint: UniqueConstraint) => Promise<string | undefined> | string | undefined,
): Promise<void> {
  const givenBack = new Set<string>();
  for (const constraint of constraints) {
    const key = `${constraint.name}\0${constraint.value}`;
    if (constraint.action === "remove") givenBack.add(key);
    else if (!givenBack.has(key)) {
      const holder = await holderOf(constraint);
      if (holder !== undefined && holder !== stream) throw new UniqueConstraintViolation(constraint);
    }
  }
}
