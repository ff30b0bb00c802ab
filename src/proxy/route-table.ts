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
  /** Addresses of load-balancer hostnames (the controller's HostnameResolver cache). */
  resolved?: ResolvedHostnames;
}

/**
 * Routes for every name some endpoint claims and some proxied entry accepts. Claims an entry
 * rejects (wrong cluster, project, namespace) route nowhere, as they publish nothing. A
 * cluster with no usable address (a hostname not resolved yet) is left out.
 */
export function buildRouteTable(entries: readonly GlobalDnsEntry[], endpoints: readonly Endpoint[], options: RouteTableOptions = {}): RouteTable {
  const index = indexEntries(entries.filter((e) => e.proxy?.enabled !== false));
  const byHost = new Map<string, { entry: GlobalDnsEntry; clusters: Map<string, { upstreams: Map<string, UpstreamRef>; paths?: Set<string>; everyPath: boolean }> }>();
  for (const endpoint of endpoints) {
    for (const host of endpoint.hostnames) {
      const entry = findEntry(host, index);
      if (!entry || claimRejection(entry, endpoint) !== undefined) continue;
      const upstreams = upstreamsOf(endpoint, host, entry, options.resolved);
      if (upstreams.length === 0) continue;
      let route = byHost.get(host);
      if (!route) byHost.set(host, (route = { entry, clusters: new Map() }));
      let cluster = route.clusters.get(endpoint.cluster);
      if (!cluster) route.clusters.set(endpoint.cluster, (cluster = { upstreams: new Map(), everyPath: false }));
      for (const u of upstreams) cluster.upstreams.set(u.key, u);
      const paths = endpoint.paths?.[host];
      // Two objects of one cluster claiming a host: the cluster serves the union of their paths.
      if (paths === undefined) cluster.everyPath = true;
      else for (const p of paths) (cluster.paths ??= new Set()).add(p);
    }
  }
  const hosts: HostRoute[] = [];
  for (const [host, r] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const clusters: ClusterRoute[] = [];
    for (const [cluster, c] of [...r.clusters].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const route: ClusterRoute = { cluster, upstreams: [...c.upstreams.values()].sort((a, b) => (a.key < b.key ? -1 : 1)) };
      if (!c.everyPath && c.paths) route.paths = [...c.paths].sort();
      clusters.push(route);
    }
    hosts.push({ host, entry: r.entry.fqdn, redirectHttps: r.entry.proxy?.redirectHttps ?? false, clusters });
  }
  return { hosts };
}

function upstreamsOf(endpoint: Endpoint, host: string, entry: GlobalDnsEntry, resolved: ResolvedHostnames | undefined): UpstreamRef[] {
  const scheme = entry.proxy?.upstreamScheme ?? 'http';
  const port = entry.proxy?.upstreamPort ?? (scheme === 'https' ? 443 : 80);
  const addresses: string[] = [];
  for (const target of endpoint.targets) {
    if (addressType(target)) addresses.push(target);
    else {
      const r = resolved?.get(target);
      if (r) addresses.push(...r.v4, ...r.v6);
    }
  }
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
