import type { Random } from './clock.js';

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Delays never exceed this. */
  maxMs: number;
  random: Random;
}

/**
 * Exponential backoff with jitter: the n-th delay is drawn from [0.8·d, d] where
 * d = min(max, initial·2ⁿ). Jitter only ever shortens a delay, so the cap holds, and
 * clusters that failed together (a shared network outage) do not retry in lockstep.
 */
export class Backoff {
  private readonly opts: BackoffOptions;
  private attempt = 0;

  constructor(opts: BackoffOptions) {
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
    const d = Math.min(maxMs, initialMs * 2 ** this.attempt);
    // Stop counting at the cap: 2ⁿ must not overflow into Infinity after a long outage.
    if (d < maxMs) this.attempt++;
    return Math.round(d * (1 - 0.2 * random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
