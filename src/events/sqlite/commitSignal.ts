// Wakes waiting subscriptions after each commit. All waiters share one promise per commit,
// so a subscription that is closed while waiting leaves nothing behind for long.
export function createCommitSignal() {
  let wake = () => {};
  let next = new Promise<void>((resolve) => (wake = resolve));
  return {
    next: () => next,
    notify(): void {
      const wakeWaiters = wake;
      next = new Promise<void>((resolve) => (wake = resolve));
      wakeWaiters();
    },
  };
}
