import { addressType } from '../model/index.js';
import type { Endpoint, GlobalDnsEntry } from '../model/index.js';
import { claimRejection, findEntry, indexEntries } from '../planner/index.js';
import type { ResolvedHostnames } from '../planner/index.js';

/**
 * The route table: which upstream endpoints serve each proxied host. Built by a pure function
 * from the same inputs as the DNS records (entries, endpoints, resolved load-balancer
 * hostnames), so a name is routed to exactly the clusters it is published for. Plain data, so
 * the primary can send it to workers as it is.
 */

/** One upstream endpoint of a cluster: the load-balancer address and the entry's port. */
export interface UpstreamRef {
  /** Identity of the connection pool: origin, plus the TLS name for https upstreams. */
  key: string;
  /** `http://192.0.2.10:80`, `https://[2001:db8::1]:443` */
  origin: string;
  /** TLS server name (the proxied host) for https upstreams. */
  servername?: string;
}

/** Path rules of a cluster for a host: `/api` a prefix, `=/login` an exact path. */
export interface ClusterRoute {
  cluster: string;
  upstreams: UpstreamRef[];
  /** Absent: every path. */
  paths?: string[];
}

export interface HostRoute {
  /** The claimed name: `shop.example.test` or `*.apps.example.test`. */
  host: string;
  /** The entry governing it (itself, or a wildcard above it). */
  entry: string;
  redirectHttps: boolean;
  clusters: ClusterRoute[];
}

export interface RouteTable {
  hosts: HostRoute[];
}

export interface RouteTableOptions {
  /** Addresses of load-balancer hostnames (the resolver's answers). */
  resolved?: ResolvedHostnames;
}

/** An endpoint's addresses: its IP targets and what its load-balancer hostnames resolve to. */
export type AddressesOf = (endpoint: Endpoint) => readonly string[];

/**
 * The route of one claimed host: the clusters of the claims its entry accepts (`accepted`,
 * as the desired-state stage derives them), each with its upstreams and path rules. None
 * when the entry is not proxied or no accepted claim has a usable address (a hostname not
 * resolved yet). The unit of change: a store event re-routes only the hosts it touched.
 */
export function hostRoute(host: string, entry: GlobalDnsEntry | undefined, accepted: readonly Endpoint[], addressesOf: AddressesOf): HostRoute | undefined {
  if (!entry || entry.proxy?.enabled === false) return undefined;
  const clusters = new Map<string, { upstreams: Map<string, UpstreamRef>; paths?: Set<string>; everyPath: boolean }>();
  for (const endpoint of accepted) {
    const upstreams = upstreamsOf(addressesOf(endpoint), host, entry);
    if (upstreams.length === 0) continue;
    let cluster = clusters.get(endpoint.cluster);
    if (!cluster) clusters.set(endpoint.cluster, cluster = { upstreams: new Map(), everyPath: false });
    for (const u of upstreams) cluster.upstreams.set(u.key, u);
    const paths = endpoint.paths?.[host];
    // Two objects of one cluster claiming a host: the cluster serves the union of their paths.
    if (paths === undefined) cluster.everyPath = true;
    else for (const p of paths) (cluster.paths ??= new Set()).add(p);
  }
  if (clusters.size === 0) return undefined;
  const routes: ClusterRoute[] = [];
  for (const [cluster, c] of [...clusters].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const route: ClusterRoute = { cluster, upstreams: [...c.upstreams.values()].sort((a, b) => (a.key < b.key ? -1 : 1)) };
    if (!c.everyPath && c.paths) route.paths = [...c.paths].sort();
    routes.push(route);
  }
  return { host, entry: entry.fqdn, redirectHttps: entry.proxy?.redirectHttps ?? false, clusters: routes };
}

/** The table's hosts in a stable order (by name). */
export function sortedTable(routes: Iterable<HostRoute>): RouteTable {
  return { hosts: [...routes].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)) };
}

/** `table` with the routes of `set` replacing (or adding) theirs and the `removed` hosts gone. */
export function patchTable(table: RouteTable, set: readonly HostRoute[], removed: readonly string[]): RouteTable {
  const byHost = new Map(table.hosts.map((h) => [h.host, h]));
  for (const host of removed) byHost.delete(host);
  for (const h of set) byHost.set(h.host, h);
  return sortedTable(byHost.values());
}

/**
 * Routes for every name some endpoint claims and some proxied entry accepts, all at once
 * (the service derives them per host from the desired-state stage instead; this is the
 * same rule for tests and the benchmark's whole-table baseline).
 */
export function buildRouteTable(entries: readonly GlobalDnsEntry[], endpoints: readonly Endpoint[], options: RouteTableOptions = {}): RouteTable {
  const index = indexEntries(entries);
  const accepted = new Map<string, { entry: GlobalDnsEntry; endpoints: Endpoint[] }>();
  for (const endpoint of endpoints) {
    for (const host of endpoint.hostnames) {
      const entry = findEntry(host, index);
      if (!entry || claimRejection(entry, endpoint) !== undefined) continue;
      let a = accepted.get(host);
      if (!a) accepted.set(host, a = { entry, endpoints: [] });
      a.endpoints.push(endpoint);
    }
  }
  const addressesOf: AddressesOf = (e) =>
    e.targets.flatMap((t) => {
      if (addressType(t)) return [t];
      const r = options.resolved?.get(t);
      return r ? [...r.v4, ...r.v6] : [];
    });
  const routes: HostRoute[] = [];
  for (const [host, a] of accepted) {
    const r = hostRoute(host, a.entry, a.endpoints, addressesOf);
    if (r) routes.push(r);
  }
  return sortedTable(routes);
}

function upstreamsOf(addresses: readonly string[], host: string, entry: GlobalDnsEntry): UpstreamRef[] {
  const scheme = entry.proxy?.upstreamScheme ?? 'http';
  const port = entry.proxy?.upstreamPort ?? (scheme === 'https' ? 443 : 80);
  // A wildcard claim has no name to give as SNI; the request's own Host is not known here.
  const servername = scheme === 'https' && !host.startsWith('*.') ? host : undefined;
  return addresses.map((a) => {
    const origin = `${scheme}://${a.includes(':') ? `[${a}]` : a}:${port}`;
    return servername ? { key: `${origin} ${servername}`, origin, servername } : { key: origin, origin };
  });
}

/** Whether `path` (no query) matches a rule: exact, or prefix element by element as Kubernetes does. */
export function pathMatches(rule: string, path: string): boolean {
  if (rule.charCodeAt(0) === 61 /* = */) return path === rule.slice(1);
  const prefix = rule.endsWith('/') ? rule.slice(0, -1) : rule;
  if (prefix === '') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* / */);
}

/** Every upstream the table names, by key. */
export function upstreamsOfTable(table: RouteTable): Map<string, UpstreamRef> {
  const out = new Map<string, UpstreamRef>();
  for (const h of table.hosts) for (const c of h.clusters) for (const u of c.upstreams) out.set(u.key, u);
  return out;
}
