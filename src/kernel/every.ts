import type { Clock, TimerHandle } from './clock.js';

/**
 * Calls `fn` every `ms` on `clock` until the handle is cancelled: a timer re-armed before each
 * call (so a throwing `fn` does not stop it), and, like every background timer on the kernel
 * clock, one that does not keep the process alive.
 */
export function every(clock: Clock, ms: number, fn: () => void): TimerHandle {
  let stopped = false;
  let timer = clock.setTimeout(function tick() {
    if (stopped) return;
    timer = clock.setTimeout(tick, ms);
    fn();
  }, ms);
  return {
    cancel() {
      stopped = true;
      timer.cancel();
    },
  };
}
