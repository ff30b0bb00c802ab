import { systemClock } from '../../kernel/index.js';
import type { Clock, TimerHandle } from '../../kernel/index.js';

/**
 * Coarse timeouts for many connections: each connection keeps one `deadline` (ms on `clock`,
 * 0 for none) and a sweep every `intervalMs` fires the expired ones. Setting a deadline is a
 * field write (`deadlines.clock.now() + ms`), so the request path arms and clears timeouts
 * with no timer calls at all; the price is up to one interval of lateness. The sweep runs on
 * the kernel clock (a test's manual clock drives it) and never keeps the process alive.
 */
export interface HasDeadline {
  deadline: number;
  onDeadline(now: number): void;
}

export class Deadlines {
  private readonly members = new Set<HasDeadline>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly intervalMs: number,
    /** Where deadlines are read (`clock.now()`) and the sweep is timed. */
    readonly clock: Clock = systemClock,
  ) {}

  add(m: HasDeadline): void {
    this.members.add(m);
    if (!this.timer) this.timer = this.clock.setTimeout(this.tick, this.intervalMs);
  }

  delete(m: HasDeadline): void {
    this.members.delete(m);
    if (this.members.size === 0 && this.timer) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  /** Re-armed before the sweep: a member that throws does not stop it, one that leaves last cancels it. */
  private readonly tick = (): void => {
    this.timer = this.clock.setTimeout(this.tick, this.intervalMs);
    const now = this.clock.now();
    for (const m of this.members) if (m.deadline !== 0 && m.deadline <= now) m.onDeadline(now);
  };
}

/** A sweep interval fine enough for the shortest of `timeoutsMs` (a quarter of it, 50 ms to 1 s). */
export function sweepInterval(timeoutsMs: readonly number[]): number {
  const shortest = Math.min(...timeoutsMs.filter((t) => t > 0), 4000);
  return Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
}
