import type { AddressHealth, EndpointHealth, EntryRouting, GlobalDnsEntry } from '../model/index.js';

/** Routing of an entry that says nothing: every healthy endpoint, failback after 60 s, serve-all. */
export const DEFAULT_ROUTING: EntryRouting = { policy: 'all', failbackMs: 60_000, whenAllDown: 'serve-all' };

/** The priority of a target that states none. */
export const DEFAULT_PRIORITY = 1;

/** The verdicts a name is planned with: one per address, at one instant. */
export interface HealthInput {
  /** An address's verdict; undefined: no verdict yet (`unknown`). */
  of(address: string): AddressHealth | undefined;
  /** Clock milliseconds of the plan, for failback. */
  now: number;
}

/** One answerable thing of a name: an address, or a load balancer written as an alias. */
export interface UnitHealth {
  cluster: string;
  /** An address, or a load-balancer hostname (alias plans). */
  target: string;
  priority: number;
  health: EndpointHealth;
  /** Clock milliseconds since the health holds; absent for targets without a check. */
  since?: number;
  /** Healthy again after being down: failback applies. */
  recovered?: boolean;
  /** Whether the answer holds it. */
  served: boolean;
}

/** How health and routing shaped a name's answer (status, metrics, Events, the proxy). */
export interface NameHealth {
  units: UnitHealth[];
  /** Failover: the priority group answered; absent for `all`. */
  activeGroup?: number;
  /** No unit is healthy or unknown: the answer holds every unit (serve-all) or SERVFAIL. */
  allDown: boolean;
  /** All down and the entry asks for SERVFAIL (the embedded server answers it; providers get serve-all). */
  servfail: boolean;
  /** When the answer may change with no new verdict (a failback running out); absent: never. */
  recheckAt?: number;
}

/** A unit as the selection sees it. */
export interface Candidate {
  cluster: string;
  target: string;
  /** Addresses whose verdicts decide the unit's health: itself, or a load balancer's. */
  addresses: readonly string[];
}

/** A cluster's priority in `entry`: the smallest of its targets' (default 1). */
export function clusterPriority(entry: GlobalDnsEntry, cluster: string): number {
  let p: number | undefined;
  for (const t of entry.targets) if (t.cluster === cluster) p = Math.min(p ?? Infinity, t.priority ?? DEFAULT_PRIORITY);
  return p ?? DEFAULT_PRIORITY;
}

/** The health of a unit from its addresses' verdicts: healthy if one is, else unknown if one is (or none resolved), else unhealthy. */
function unitHealth(addresses: readonly string[], health: HealthInput | undefined): { health: EndpointHealth; since?: number; recovered?: boolean } {
  if (!health) return { health: 'healthy' };
  let best: { health: EndpointHealth; since?: number; recovered?: boolean } | undefined;
  for (const a of addresses) {
    const v = health.of(a) ?? { health: 'unknown' as const, since: health.now };
    if (v.health === 'healthy') {
      // The longest-healthy address is the unit's: failback counts from the first one up.
      if (best?.health !== 'healthy' || (best.since ?? 0) > v.since) best = { health: 'healthy', since: v.since, ...(v.recovered ? { recovered: true } : {}) };
    } else if (v.health === 'unknown' && best?.health !== 'healthy') {
      best = { health: 'unknown', since: v.since };
    } else if (!best) {
      best = { health: 'unhealthy', since: v.since };
    } else if (best.health === 'unhealthy') {
      best = { health: 'unhealthy', since: Math.max(best.since ?? 0, v.since) };
    }
  }
  return best ?? { health: 'unknown' };
}

/**
 * Which units a name answers, from their health and the entry's routing. Pure: the verdicts and
 * the instant come in `health` (undefined: the entry has no check, every unit is healthy).
 *
 * 1. Healthy units are answered; with `failover`, only those of the active group: the lowest
 *    priority with a settled healthy unit (healthy since its first verdict, or recovered at
 *    least `failback` ago), else (every healthy unit just recovered) the lowest priority with
 *    a healthy unit. A group that recovers gets the traffic back once it has been healthy for
 *    `failback`; at start the primary group is answered as soon as it is judged healthy.
 * 2. None healthy: the unknown ones (new endpoints not probed yet), by the same group rule.
 * 3. None healthy or unknown: all down. Every unit is answered (serve-all: a name with
 *    endpoints never answers NXDOMAIN or NODATA), and `servfail` says whether the entry asks
 *    for SERVFAIL instead.
 */
export function selectByHealth(entry: GlobalDnsEntry, candidates: readonly Candidate[], health: HealthInput | undefined): NameHealth {
  const routing = entry.routing ?? DEFAULT_ROUTING;
  const units: UnitHealth[] = candidates.map((c) => ({
    cluster: c.cluster,
    target: c.target,
    priority: clusterPriority(entry, c.cluster),
    ...unitHealth(c.addresses, health),
    served: false,
  }));
  const now = health?.now ?? 0;
  const failover = routing.policy === 'failover';
  const result: NameHealth = { units, allDown: false, servfail: false };

  const pick = (state: EndpointHealth): boolean => {
    const matching = units.filter((u) => u.health === state);
    if (matching.length === 0) return false;
    if (!failover) {
      for (const u of matching) u.served = true;
      return true;
    }
    const settled = state === 'healthy' ? matching.filter((u) => !u.recovered || (u.since ?? -Infinity) <= now - routing.failbackMs) : [];
    const active = Math.min(...(settled.length > 0 ? settled : matching).map((u) => u.priority));
    for (const u of matching) if (u.priority === active) u.served = true;
    result.activeGroup = active;
    if (state === 'healthy') {
      // A healthier group still inside its failback: the answer changes when it runs out.
      const waiting = matching.filter((u) => u.priority < active && u.recovered && u.since !== undefined).map((u) => (u.since as number) + routing.failbackMs);
      if (waiting.length > 0) result.recheckAt = Math.min(...waiting);
    }
    return true;
  };

  if (!pick('healthy') && !pick('unknown') && units.length > 0) {
    result.allDown = true;
    result.servfail = routing.whenAllDown === 'servfail';
    for (const u of units) u.served = true;
  }
  return result;
}
