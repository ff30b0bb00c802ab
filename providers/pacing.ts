// Request pacing shared by the providers: a token bucket per account and the retries' backoff,
// on the kernel's clock and backoff (src/kernel). Each provider decides what is worth a retry.
import { backoffDelay, sleep, systemClock } from '../src/kernel/index.js';
import type { Clock, Random } from '../src/kernel/index.js';

/**
 * `p`, or as soon as `signal` aborts a rejection with its reason: a wait (a backoff sleep, a
 * token) that a stopping caller must not sit out, whatever clock it runs on.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A token bucket. Callers reserve a token (the count may go negative) and sleep until it is
 * theirs, so concurrent callers queue in order and never exceed the rate. With the default
 * burst of 1 no window of one second holds more than `ratePerSecond` calls.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = 1,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new Error('rateLimitPerSecond must be a positive number');
    if (!(burst >= 1)) throw new Error('burst must be at least 1');
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  async take(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    this.tokens -= 1;
    if (this.tokens < 0) await sleep(this.clock, (-this.tokens / this.ratePerSecond) * 1000);
  }
}

/**
 * Delay before retry number `attempt` (1-based): the kernel's exponential backoff, doubling
 * from `baseDelayMs` to a cap of `maxDelayMs`, each delay drawn from [d/2, d].
 */
export function retryDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: Random): number {
  return backoffDelay(attempt, { initialMs: baseDelayMs, maxMs: maxDelayMs, jitter: 0.5 }, random);
}
