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
}

/** A GlobalDNS entry: a name, who may claim it, where it is published. */
export interface GlobalDnsEntry {
  fqdn: string;
  ttl: number;
  provider: string;
  targets: EntryTarget[];
}

export interface Plan {
  creates: RecordSet[];
  updates: { from: RecordSet; to: RecordSet }[];
  deletes: RecordSet[];
}
