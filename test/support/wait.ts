// Polling for the tests that watch a running service converge: one helper instead of a copy
// per test file.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** Pause between polls (default 50 ms). */
  intervalMs?: number;
  /** A throw counts as "not yet" (a listener not up yet); the last one is in the timeout's message. */
  retryErrors?: boolean;
}

/** Polls `f` until it returns a value other than undefined; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(f: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string | (() => string), o: WaitOptions = {}): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      if (!o.retryErrors) throw e;
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) {
      const said = typeof what === 'string' ? what : what();
      throw new Error(`not within ${timeoutMs} ms: ${said}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await sleep(o.intervalMs ?? 50);
  }
}
