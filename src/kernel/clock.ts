import { performance } from 'node:perf_hooks';

/**
 * The service's one clock type (src/kernel): every timer that a test must control goes through it.
 * Time and randomness, injected so that backoff, watchdog and grace-period tests run fast
 * and deterministically on a manual clock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  /**
   * Keep the process alive while the timer is pending (a caller awaits it: a retry's sleep).
   * Default false: a background timer (a watchdog, a refresh) never holds the process open.
   */
  keepAlive?: boolean;
}

export interface Clock {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin that never jump (`performance.now()` in systemClock,
   * whose `now()` is wall time and steps with NTP). For durations a safety argument rests on,
   * such as lease expiry; read through `monotonicNow(clock)`, which falls back to `now()` for
   * clocks without it (a test's manual clock is monotonic anyway).
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle;
}

/** A number in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = {
  // Wall-clock time, so a state's `since` means something to a person reading a status page.
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms, opts) {
    const t = setTimeout(fn, ms);
    // Background timers never keep the process alive on their own: the servers do that.
    if (!opts?.keepAlive) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** The clock's monotonic reading if it has one, else its `now()`. */
export function monotonicNow(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : clock.now();
}

/**
 * Resolves after `ms` on `clock`; as soon as `signal` aborts, rejects with its reason and
 * cancels the timer. The timer keeps the process alive: someone is waiting on it.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<void>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    const onAbort = () => {
      timer?.cancel();
      reject(signal!.reason as Error);
    };
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = clock.setTimeout(done, ms, { keepAlive: true });
  });
}
