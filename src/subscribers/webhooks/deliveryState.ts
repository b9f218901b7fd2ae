/** An event a target did not accept after every attempt. */
export interface DeadLetter {
  readonly id: number;
  readonly targetId: string;
  readonly position: bigint;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempts: number;
  readonly lastError: string;
  readonly failedAt: string;
}

/**
 * Where delivery stands, per target: the position of the last event it got (or that was
 * dead-lettered), and the dead letters. Delivery state, not domain history, so it sits beside the
 * log rather than in it: in `webhooks.sqlite` when one process delivers, in Redis when instances
 * share the work. `holder` is the delivering instance's lease token: a write from an instance that
 * lost the target's lease changes nothing and answers false.
 */
export interface DeliveryState {
  checkpoint(targetId: string): Promise<bigint | undefined>;
  saveCheckpoint(targetId: string, position: bigint, holder?: string): Promise<boolean>;
  /** Records the dead letter and moves the checkpoint past it, in one step. */
  deadLetter(letter: Omit<DeadLetter, "id">, holder?: string): Promise<boolean>;
  /** Oldest first: the first `limit` letters whose id is above `afterId`. */
  deadLetters(page: { readonly afterId: number; readonly limit: number }): Promise<DeadLetter[]>;
  deadLetterById(id: number): Promise<DeadLetter | undefined>;
  removeDeadLetter(id: number): Promise<void>;
  failedAgain(id: number, error: string, at: string): Promise<void>;
  close(): Promise<void>;
}
