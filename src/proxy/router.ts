import { pathMatches } from './route-table.js';
import type { HostRoute, RouteTable } from './route-table.js';
import { ProxyTally } from './tally.js';
import type { TallySlot } from './tally.js';
import type { Upstream, UpstreamSet } from './upstreams.js';

/**
 * A route table compiled for the request path of one process: hosts in a map, upstream refs
 * replaced by the live Upstream objects (pools), and the candidates of hosts without path
 * rules precomputed, so a request costs one map lookup and one scan of a short array.
 */
export interface CompiledHost {
  host: string;
  redirectHttps: boolean;
  /** Every upstream of every cluster, and the cluster of each (parallel arrays). */
  upstreams: Upstream[];
  clusters: string[];
  /** Per cluster path rules; undefined when no cluster of the host has any. */
  paths: (readonly string[] | undefined)[] | undefined;
  /** Round-robin cursor. */
  next: number;
  /** Request counters: per upstream (its cluster's), and for answers of our own (cluster ''). */
  tallies: TallySlot[];
  own: TallySlot;
}

/** Hosts seen in Host headers are cached with their route; the cache is bounded against junk. */
const HOST_CACHE_MAX = 10_000;

export class Router {
  private readonly exact = new Map<string, CompiledHost>();
  private readonly wildcard = new Map<string, CompiledHost>();
  private readonly byHeader = new Map<string, CompiledHost | null>();

  constructor(
    table: RouteTable,
    private readonly upstreams: UpstreamSet,
    private readonly tally: ProxyTally = new ProxyTally(),
  ) {
    for (const h of table.hosts) this.put(h);
  }

  /**
   * Replaces the routes of a few hosts and removes others: a change to one name of a large
   * table costs that name. Hosts not named keep their compiled route (and round-robin cursor).
   */
  patch(set: readonly HostRoute[], removed: readonly string[]): void {
    for (const host of removed) {
      if (host.startsWith('*.')) this.wildcard.delete(host.slice(2));
      else this.exact.delete(host);
    }
    for (const h of set) this.put(h);
    // Cached Host headers may point at a replaced or removed route.
    this.byHeader.clear();
  }

  private put(h: HostRoute): void {
    const c = compileHost(h, this.upstreams, this.tally);
    if (h.host.startsWith('*.')) this.wildcard.set(h.host.slice(2), c);
    else this.exact.set(h.host, c);
  }

  get size(): number {
    return this.exact.size + this.wildcard.size;
  }

  /** The route for a Host header (or :authority) as received: any case, a port, a trailing dot. */
  find(hostHeader: string): CompiledHost | undefined {
    const cached = this.byHeader.get(hostHeader);
    if (cached !== undefined) return cached ?? undefined;
    const host = hostName(hostHeader);
    const route = host === undefined ? undefined : this.lookup(host);
    if (this.byHeader.size >= HOST_CACHE_MAX) this.byHeader.clear();
    this.byHeader.set(hostHeader, route ?? null);
    return route;
  }

  private lookup(host: string): CompiledHost | undefined {
    const exact = this.exact.get(host);
    if (exact) return exact;
    // A wildcard claim covers any depth below it, as the DNS entries do.
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      const w = this.wildcard.get(host.slice(dot + 1));
      if (w) return w;
    }
    return undefined;
  }
}

function compileHost(h: HostRoute, set: UpstreamSet, tally: ProxyTally): CompiledHost {
  const upstreams: Upstream[] = [];
  const clusters: string[] = [];
  const paths: (readonly string[] | undefined)[] = [];
  const tallies: TallySlot[] = [];
  for (const c of h.clusters) {
    const slot = tally.slot(h.host, c.cluster);
    for (const ref of c.upstreams) {
      const u = set.get(ref);
      u.cluster = c.cluster;
      upstreams.push(u);
      tallies.push(slot);
      clusters.push(c.cluster);
      paths.push(c.paths);
    }
  }
  return {
    host: h.host,
    redirectHttps: h.redirectHttps,
    upstreams,
    clusters,
    paths: paths.some((p) => p !== undefined) ? paths : undefined,
    next: Math.floor(Math.random() * Math.max(1, upstreams.length)),
    tallies,
    own: tally.slot(h.host, ''),
  };
}

/** The host part of a Host header, lower case, without port or trailing dot; undefined if it is not a name. */
export function hostName(header: string): string | undefined {
  let host = header;
  const colon = host.lastIndexOf(':');
  if (host.startsWith('[')) return undefined;
  if (colon >= 0) host = host.slice(0, colon);
  if (host.endsWith('.')) host = host.slice(0, -1);
  host = host.toLowerCase();
  return /^[a-z0-9*_-]+(\.[a-z0-9_-]+)*$/.test(host) ? host : undefined;
}

export type Balancing = 'round-robin' | 'least-outstanding';

/**
 * The upstream for a request. Preference, in order: healthy and in a cluster not tried yet,
 * healthy and not tried, then (every endpoint ejected) any not tried: a request is better
 * sent to a suspect endpoint than answered 502 by us without trying.
 * `tried` holds the upstreams that already failed this request (retries).
 */
export function pickUpstream(route: CompiledHost, path: string, balancing: Balancing, tried: readonly Upstream[] | null): Upstream | undefined {
  const n = route.upstreams.length;
  if (n === 0) return undefined;
  const start = route.next;
  route.next = start + 1 >= n ? 0 : start + 1;
  const paths = route.paths;
  for (let pass = 0; pass < 3; pass++) {
    let best: Upstream | undefined;
    for (let k = 0; k < n; k++) {
      const i = start + k < n ? start + k : start + k - n;
      const u = route.upstreams[i];
      if (pass < 2 && u.ejected) continue;
      if (paths !== undefined && !servesPath(paths[i], path)) continue;
      if (tried !== null) {
        if (tried.includes(u)) continue;
        if (pass === 0 && triedCluster(route, tried, route.clusters[i])) continue;
      }
      if (balancing === 'round-robin') return u;
      if (best === undefined || u.outstanding < best.outstanding) best = u;
    }
    if (best) return best;
    if (tried === null && pass === 0) pass = 1; // nothing tried: passes 0 and 1 are the same
  }
  return undefined;
}

function servesPath(rules: readonly string[] | undefined, path: string): boolean {
  if (rules === undefined) return true;
  for (let i = 0; i < rules.length; i++) if (pathMatches(rules[i], path)) return true;
  return false;
}

function triedCluster(route: CompiledHost, tried: readonly Upstream[], cluster: string): boolean {
  for (let i = 0; i < route.upstreams.length; i++) if (route.clusters[i] === cluster && tried.includes(route.upstreams[i])) return true;
  return false;
}

/** Whether any upstream of the route serves `path` (else the answer is 404, not 502). */
export function routeServesPath(route: CompiledHost, path: string): boolean {
  if (route.paths === undefined) return true;
  for (let i = 0; i < route.paths.length; i++) if (servesPath(route.paths[i], path)) return true;
  return false;
}
