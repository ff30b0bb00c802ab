import type { EndpointHealth } from '../model/index.js';

/** What one probe found. */
export interface ProbeOutcome {
  ok: boolean;
  /** `status 200`, `connect ECONNREFUSED`, `timeout after 2s`, … */
  reason: string;
  durationMs: number;
  /** Clock milliseconds when it finished. */
  at: number;
}

export interface Thresholds {
  /** Consecutive failures before an endpoint is down. */
  failureThreshold: number;
  /** Consecutive successes before it is up again. */
  successThreshold: number;
  intervalMs: number;
}

/** An endpoint's verdict from one vantage, after hysteresis. */
export interface Verdict {
  health: EndpointHealth;
  /** Clock milliseconds since the health holds. */
  since: number;
  /** Consecutive successes and failures of the latest run (one of them is 0). */
  successes: number;
  failures: number;
  /** Healthy after having been unhealthy (not a first verdict): failback counts from `since`. */
  recovered: boolean;
  last?: ProbeOutcome;
}

export function initialVerdict(now: number): Verdict {
  return { health: 'unknown', since: now, successes: 0, failures: 0, recovered: false };
}

/**
 * The verdict after one more probe. Pure.
 *
 * - `unknown` (never judged): the first success makes it healthy, so a new endpoint is
 *   published after one good probe; `failureThreshold` failures make it unhealthy.
 * - healthy → unhealthy after `failureThreshold` consecutive failures.
 * - unhealthy → healthy after `successThreshold` consecutive successes, and not sooner than
 *   `failureThreshold × interval` after it went down. Going down already takes that long, so an
 *   endpoint's health changes at most once per `failureThreshold × interval` whatever it does:
 *   that bounds the writes a flapping endpoint causes at every provider.
 */
export function nextVerdict(v: Verdict, outcome: ProbeOutcome, t: Thresholds): Verdict {
  const successes = outcome.ok ? v.successes + 1 : 0;
  const failures = outcome.ok ? 0 : v.failures + 1;
  const next: Verdict = { health: v.health, since: v.since, successes, failures, recovered: v.recovered, last: outcome };
  if (v.health === 'unknown') {
    if (outcome.ok) return { ...next, health: 'healthy', since: outcome.at, recovered: false };
    if (failures >= t.failureThreshold) return { ...next, health: 'unhealthy', since: outcome.at };
    return next;
  }
  if (v.health === 'healthy' && failures >= t.failureThreshold) return { ...next, health: 'unhealthy', since: outcome.at };
  // Half an interval of slack: probe timers drift, and a probe due at the bound must count.
  if (v.health === 'unhealthy' && successes >= t.successThreshold && outcome.at - v.since >= (t.failureThreshold - 0.5) * t.intervalMs) {
    return { ...next, health: 'healthy', since: outcome.at, recovered: true };
  }
  return next;
}
