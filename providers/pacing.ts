// Request pacing shared by the providers: an injectable clock, a token bucket per account,
// and exponential backoff with jitter. Each provider decides what is worth a retry.

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

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
    private readonly clock: Clock = realClock,
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
    if (this.tokens < 0) await this.clock.sleep((-this.tokens / this.ratePerSecond) * 1000);
  }
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay before retry number `attempt` (1-based): half fixed, half jitter, doubling to a cap. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}
