import type { EndpointHealth } from '../model/index.js';

/**
 * The quorum over vantages (pure): each replica probes every endpoint itself and publishes its
 * verdicts; an endpoint's health is what the vantages that can still be trusted say, so one
 * replica with a broken network never fails clusters over on its own.
 */

/** One vantage (a replica) as the quorum sees it: its latest report, or the local checker. */
export interface Vantage {
  /** The replica's identity. */
  name: string;
  /** Clock milliseconds when its latest report was received (the local vantage: now). */
  reportedAt: number;
  /** How many of every endpoint it probes it judges healthy and unhealthy (unknown ones left out). */
  healthy: number;
  unhealthy: number;
  /** Its verdict of one probe key; undefined when it does not probe it or has not judged it yet. */
  of(key: string): Exclude<EndpointHealth, 'unknown'> | undefined;
}

/** A report older than this many of the key's intervals says nothing about the key any more. */
export const FRESH_INTERVALS = 3;

export interface QuorumVerdict {
  health: EndpointHealth;
  /** Vantages that judged the key as `health` says (sorted). */
  agree: string[];
  /** Fresh vantages that judged it the other way (sorted). */
  disagree: string[];
  /** Fresh vantages left out because they reach nothing they probe (sorted). */
  cutOff: string[];
}

/**
 * A vantage that reaches none of the endpoints it probes (everything it judged is unhealthy, at
 * least one): more likely its own network is broken than every endpoint at once.
 */
export function isCutOff(v: Pick<Vantage, 'healthy' | 'unhealthy'>): boolean {
  return v.unhealthy > 0 && v.healthy === 0;
}

export function isFresh(v: Pick<Vantage, 'reportedAt'>, intervalMs: number, now: number): boolean {
  return now - v.reportedAt <= FRESH_INTERVALS * intervalMs;
}

/**
 * The health of one probe key by quorum of `vantages` at `now`.
 *
 * - Only fresh vantages count (reported within `FRESH_INTERVALS` × the key's interval).
 * - Cut-off vantages are left out, unless every fresh vantage looks cut off: then nothing tells
 *   a broken vantage from dead endpoints, and all of them count (everything really is down).
 * - Of those that judged the key, it is unhealthy only when more than half say unhealthy (a
 *   tie stays healthy: failing over is the costly mistake); unknown when none judged it.
 */
export function combine(key: string, intervalMs: number, vantages: readonly Vantage[], now: number): QuorumVerdict {
  const fresh = vantages.filter((v) => isFresh(v, intervalMs, now));
  const reaching = fresh.filter((v) => !isCutOff(v));
  const voters = reaching.length > 0 ? reaching : fresh;
  const cutOff = reaching.length > 0 ? fresh.filter((v) => isCutOff(v)).map((v) => v.name) : [];
  const up: string[] = [];
  const down: string[] = [];
  for (const v of voters) {
    const h = v.of(key);
    if (h === 'healthy') up.push(v.name);
    else if (h === 'unhealthy') down.push(v.name);
  }
  const sort = (a: string[]) => a.sort();
  if (up.length + down.length === 0) return { health: 'unknown', agree: [], disagree: [], cutOff: sort(cutOff) };
  if (down.length * 2 > up.length + down.length) return { health: 'unhealthy', agree: sort(down), disagree: sort(up), cutOff: sort(cutOff) };
  return { health: 'healthy', agree: sort(up), disagree: sort(down), cutOff: sort(cutOff) };
}

/**
 * The earliest time after `now` at which a report of `vantages` stops being fresh for one of
 * `intervals` (a re-evaluation is due then); undefined when none will.
 */
export function nextExpiry(vantages: readonly Pick<Vantage, 'reportedAt'>[], intervals: Iterable<number>, now: number): number | undefined {
  let next: number | undefined;
  for (const interval of intervals) {
    for (const v of vantages) {
      // Stale from the first millisecond past the bound.
      const at = v.reportedAt + FRESH_INTERVALS * interval + 1;
      if (at > now && (next === undefined || at < next)) next = at;
    }
  }
  return next;
}
