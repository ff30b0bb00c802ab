/**
 * Coarse timeouts for many connections: each connection keeps one `deadline` (epoch ms, 0 for
 * none) and a sweep every `intervalMs` fires the expired ones. Setting a deadline is a field
 * write, so the request path arms and clears timeouts with no timer calls at all; the price
 * is up to one interval of lateness.
 */
export interface HasDeadline {
  deadline: number;
  onDeadline(now: number): void;
}

export class Deadlines {
  private readonly members = new Set<HasDeadline>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  add(m: HasDeadline): void {
    this.members.add(m);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      this.timer.unref();
    }
  }

  delete(m: HasDeadline): void {
    this.members.delete(m);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const m of this.members) if (m.deadline !== 0 && m.deadline <= now) m.onDeadline(now);
  }
}

/** A sweep interval fine enough for the shortest of `timeoutsMs` (a quarter of it, 50 ms to 1 s). */
export function sweepInterval(timeoutsMs: readonly number[]): number {
  const shortest = Math.min(...timeoutsMs.filter((t) => t > 0), 4000);
  return Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
}
