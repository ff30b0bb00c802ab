/**
 * The service's one clock type (src/kernel): every timer that a test must control goes through it.
 * Time and randomness, injected so that backoff, watchdog and grace-period tests run fast
 * and deterministically on a manual clock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** A number in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = {
  // Wall-clock time, so a state's `since` means something to a person reading a status page.
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // Source timers never keep the process alive on their own: the servers do that.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
