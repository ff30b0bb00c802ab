/** Record types globaldns publishes or serves. */
export type RRType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'MX' | 'NS' | 'SRV' | 'PTR' | 'CAA';

export const RR_TYPES: readonly RRType[] = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'PTR', 'CAA'];

/** One object's contribution, as a source saw it. */
export interface Endpoint {
  cluster: string;
  namespace: string;
  project?: string;
  /** Labels of the namespace, when the source knows the namespace and it has labels (for entries' `namespaceSelector`). */
  namespaceLabels?: Record<string, string>;
  kind: 'Ingress' | 'Service';
  name: string;
  /** Claimed hostnames, normalised (lower case, no trailing dot). */
  hostnames: string[];
  /** status.loadBalancer.ingress[].ip | .hostname */
  targets: string[];
  ttl?: number;
  /**
   * Ingress rule paths per claimed hostname, for the proxy's path routing: `/api` is a
   * Prefix (and ImplementationSpecific) rule, `=/login` an Exact one. Absent for a hostname
   * the object has no rules for (it then serves every path), and for Services.
   */
  paths?: Record<string, string[]>;
}

/** Key of an endpoint in the store: cluster/namespace/kind/name. */
export function endpointKey(e: Pick<Endpoint, 'cluster' | 'namespace' | 'kind' | 'name'>): string {
  return `${e.cluster}/${e.namespace}/${e.kind}/${e.name}`;
}

/**
 * A record set. `values` are in presentation form:
 * A/AAAA address, CNAME/NS/PTR target name, TXT text (one string per value),
 * MX "10 mail.example.org", SRV "0 5 443 host", CAA '0 issue "letsencrypt.org"'.
 */
export interface RecordSet {
  name: string;
  type: RRType;
  ttl: number;
  values: string[];
  setIdentifier?: string;
  weight?: number;
  /**
   * Cloudflare only: serve the set through Cloudflare's proxy (A/AAAA/CNAME). Undefined leaves
   * it to the provider's settings, and the diff then ignores what the provider reads back;
   * other providers neither read nor write it.
   */
  proxied?: boolean;
}

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  /** Negative-caching TTL (RFC 2308). */
  minimum: number;
  ttl: number;
}

/** A served zone's content, as the planner hands it to a server or provider. */
export interface ZoneContent {
  apex: string;
  soa: Soa;
  ns: string[];
  nsTtl: number;
  records: RecordSet[];
}

/** Target of a global DNS entry: a cluster, optionally narrowed to Rancher projects. */
export interface EntryTarget {
  cluster: string;
  projects?: string[];
  /**
   * Failover group: with `routing.policy: failover` the lowest number that has a healthy
   * endpoint is answered. Absent: 1.
   */
  priority?: number;
}

/** How an entry's endpoints are probed (src/health). */
export interface HealthCheck {
  type: 'http' | 'https' | 'tcp';
  /** Written or not, resolved by the config: the entry's proxy upstream port, else 80 (443 for https). */
  port: number;
  /** http(s): the path requested. */
  path: string;
  /** http(s): Host header and SNI; absent: the name being checked. */
  host?: string;
  /** http(s): inclusive status ranges that pass, from "200-399,418". */
  expectStatus: [number, number][];
  /** http(s): the first 5,120 bytes of the body must contain it. */
  bodyMatch?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before an endpoint is down. */
  failureThreshold: number;
  /** Consecutive successes before it is up again. */
  successThreshold: number;
  /** https: verify the certificate chain and name (off by default: clusters often serve self-signed ones). */
  verifyCertificate: boolean;
}

/**
 * An endpoint address's health: `unknown` until its first verdict (a new endpoint of a
 * checked entry, or an entry's check that changed).
 */
export type EndpointHealth = 'healthy' | 'unhealthy' | 'unknown';

/** A verdict as the planner reads it: the health, and since when (clock milliseconds). */
export interface AddressHealth {
  health: EndpointHealth;
  since: number;
  /** Healthy again after being down (not a first verdict): a failback counts from `since`. */
  recovered?: boolean;
}

/** Which of a name's endpoints are answered. */
export interface EntryRouting {
  /** `all`: every healthy endpoint; `failover`: the healthy endpoints of the lowest priority group. */
  policy: 'all' | 'failover';
  /** A recovered higher-priority group gets traffic back only after it has been healthy this long. */
  failbackMs: number;
  /** When every endpoint is down: answer all of them, or SERVFAIL (embedded server only). */
  whenAllDown: 'serve-all' | 'servfail';
}

/** Certificate of a proxied name: a Secret (cluster mode), files (standalone), or ACME. */
export interface EntryTls {
  /** A `kubernetes.io/tls` Secret in the management cluster, `namespace/name` or `name`. */
  secretName?: string;
  certFile?: string;
  keyFile?: string;
  acme?: boolean;
}

/** How the bundled proxy serves a name (when the proxy runs). */
export interface EntryProxy {
  enabled: boolean;
  /** Port of the clusters' ingress endpoints; 80 for http, 443 for https when absent. */
  upstreamPort?: number;
  upstreamScheme: 'http' | 'https';
  /** Plain HTTP requests get a 308 to https (ACME challenges excepted). */
  redirectHttps: boolean;
  tls?: EntryTls;
}

/** A GlobalDNS entry: a name, who may claim it, where it is published. */
export interface GlobalDnsEntry {
  fqdn: string;
  ttl: number;
  provider: string;
  targets: EntryTarget[];
  /** Proxy settings; absent means the defaults (proxied when the proxy runs, port 80, http). */
  proxy?: EntryProxy;
  /**
   * Cloudflare's proxy (not globaldns' own, that is `proxy`) for the entry's records; absent:
   * the provider's settings decide. `true` on another provider type is a config problem.
   */
  proxied?: boolean;
  /** Active health checks of the entry's endpoints; absent: every endpoint counts as healthy. */
  healthCheck?: HealthCheck;
  /** Absent: the defaults (`all`, failback 60 s, `serve-all`). */
  routing?: EntryRouting;
}

export interface Plan {
  creates: RecordSet[];
  updates: { from: RecordSet; to: RecordSet }[];
  deletes: RecordSet[];
}
