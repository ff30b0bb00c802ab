// The manual clock of the tests: the service's one Clock type (src/kernel), advanced by hand,
// so backoff, grace, refresh and debounce tests run without waiting on the wall clock.
import type { Clock, TimerHandle } from '../../src/kernel/index.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets real microtasks and promise chains (await in the code under test) run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

export class ManualClock implements Clock {
  t = 0;
  private timers: Timer[] = [];
  private seq = 0;
  /** Called after each timer `advance` fires, once promise chains have settled (to sample invariants). */
  onStep: (() => void) | undefined;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Delays of the timers still pending, from now, in firing order. */
  pending(): number[] {
    return this.live().map((x) => x.at - this.t);
  }

  private live(): Timer[] {
    return this.timers.filter((x) => !x.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** Moves time forward, firing due timers in order and letting promise chains run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = this.live().find((x) => x.at <= end);
      if (!next) break;
      this.t = next.at;
      next.cancelled = true;
      next.fn();
      await settle();
      this.onStep?.();
    }
    this.t = end;
    this.timers = this.live();
  }
}

/**
 * A clock on which no one waits: each timer fires at once (on the next microtask), time jumps
 * forward by its delay, and the delays are kept in `sleeps`, in order. For retry and pacing
 * tests that check the delays asked for, not what happens in between.
 */
export class InstantClock implements Clock {
  t = 0;
  readonly sleeps: number[] = [];

  constructor(private readonly wallClock?: () => number) {}

  now(): number {
    return this.wallClock ? this.wallClock() : this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) fn();
    });
    return { cancel: () => void (cancelled = true) };
  }
}
