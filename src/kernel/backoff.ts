import type { Random } from './clock.js';

export interface BackoffOptions {
  /** First delay (before any jitter). */
  initialMs: number;
  /** Delays never exceed this. */
  maxMs: number;
  /**
   * The share of a delay that jitter may take off: a delay is drawn from [(1 − jitter)·d, d].
   * Default 0.2 (the sources); the controller and the providers use 0.5.
   */
  jitter?: number;
}

/**
 * The delay before retry number `retry` (1 for the first): d = min(max, initial·2^(retry−1)),
 * less up to `jitter`·d drawn from `random`, so a draw of 0 gives d itself. Jitter only ever
 * shortens a delay, so the cap holds, and clients that failed together (a shared network
 * outage) do not retry in lockstep. Not rounded.
 */
export function backoffDelay(retry: number, opts: BackoffOptions, random: Random): number {
  // 2ⁿ overflows into Infinity after about a thousand doublings; min() still caps it.
  const d = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, retry - 1));
  return d * (1 - (opts.jitter ?? 0.2) * random());
}

/**
 * Exponential backoff with jitter, counting its own failures: the n-th delay is
 * `backoffDelay(n, opts, random)`, rounded to a millisecond, until `reset()`.
 */
export class Backoff {
  private readonly opts: BackoffOptions & { random: Random };
  private attempt = 0;

  constructor(opts: BackoffOptions & { random: Random }) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs)) {
      throw new Error(`backoff needs 0 < initialMs <= maxMs, got ${opts.initialMs} and ${opts.maxMs}`);
    }
    this.opts = opts;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const { initialMs, maxMs, random } = this.opts;
    const delay = backoffDelay(this.attempt + 1, this.opts, random);
    // Stop counting at the cap: 2ⁿ must not overflow into Infinity after a long outage.
    if (Math.min(maxMs, initialMs * 2 ** this.attempt) < maxMs) this.attempt++;
    return Math.round(delay);
  }

  reset(): void {
    this.attempt = 0;
  }
}
