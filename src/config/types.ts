import type { GlobalDnsEntry, RecordSet, Soa } from '../model/index.js';
import type { ListenAddress } from './listen.js';
import type { LabelSelector } from './selector.js';
import type { ProxyConfig } from './proxy.js';
import type { HealthConfig } from './health.js';

export type { HealthConfig };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DnsConfig {
  listen: ListenAddress[];
  udpPayloadMax: number;
  tcpIdleTimeoutMs: number;
  maxTcpConnections: number;
}

/** SOA fields a user sets; the serial is owned by whoever publishes the zone. */
export type SoaSettings = Omit<Soa, 'serial'>;

export interface ZoneConfig {
  apex: string;
  ns: string[];
  nsTtl: number;
  soa: SoaSettings;
  /** Static records, grouped into sets, names absolute. */
  records: RecordSet[];
}

/** A folder of manifests standing for a cluster. */
export interface ManifestClusterConfig {
  name: string;
  /** Absolute path of the folder of manifests that stands for this cluster. */
  manifests: string;
}

/** Which fields of an object, besides globaldns' own annotations, claim hostnames. */
export interface HostnameSources {
  /** `external-dns.alpha.kubernetes.io/hostname` and `external-dns.kubernetes.io/hostname`. */
  externalDnsAnnotations: boolean;
  /** `spec.rules[].host` of Ingresses. */
  ingressRules: boolean;
}

/** How to reach a cluster's API server. */
export type KubeConnection =
  | {
    /** Absolute path of the kubeconfig file. */
    kubeconfig: string;
    /** Context to use; the file's current-context when absent. */
    context?: string;
  }
  | { inCluster: true };

/** A real cluster, watched through its API server. */
export interface KubeClusterConfig {
  name: string;
  connection: KubeConnection;
  /** Only objects in namespaces matching this are read. */
  namespaceSelector?: LabelSelector;
  hostnameSources: HostnameSources;
  /** How long the last endpoints of a failing cluster stay published. */
  gracePeriodMs: number;
  /** A watch silent for longer than this is restarted. */
  watchdogMs: number;
}

export type ClusterConfig = ManifestClusterConfig | KubeClusterConfig;

/**
 * Workload clusters read from kubeconfig Secrets in the management cluster (`clusterSecrets:`),
 * one cluster per Secret: `data.kubeconfig`, optional `data.context`, named by the label
 * `globaldns.io/cluster` or else the Secret's name.
 */
export interface ClusterSecretsConfig {
  namespace: string;
  /** As the API server takes it (`globaldns.io/kubeconfig=true`). */
  labelSelector: string;
  /** What every cluster read this way gets (name and connection come from each Secret). */
  options: Omit<KubeClusterConfig, 'name' | 'connection'>;
}

export function isKubeCluster(c: ClusterConfig): c is KubeClusterConfig {
  return 'connection' in c;
}

/** Defaults for every source. */
export interface SourcesConfig {
  gracePeriodMs: number;
  watchdogMs: number;
  backoff: { initialMs: number; maxMs: number };
}

/** The embedded DNS server as a provider: entries naming it are served by globaldns itself. */
export interface EmbeddedProviderConfig {
  name: string;
  type: 'embedded';
}

/**
 * An external provider (RFC 2136, PowerDNS, Cloudflare, Alidns, Route53): its settings block as
 * written (the provider's factory checks it), credentials from `secretFile` or the environment
 * (Route53 without them: the AWS SDK's default chain).
 */
export interface FactoryProviderConfig {
  name: string;
  type: 'rfc2136' | 'powerdns' | 'cloudflare' | 'alidns' | 'route53';
  settings: Record<string, unknown>;
  /** YAML map of secret key → value (like a Secret's stringData); read at start, never logged. */
  secretFile?: string;
  ownerId: string;
  policy: 'sync' | 'upsert-only' | 'create-only';
  adoptFrom: string[];
}

export type ProviderConfig = EmbeddedProviderConfig | FactoryProviderConfig;

/** How changes reach external providers. */
export interface SyncConfig {
  /** Quiet time before a batch of changes is applied. */
  debounceMs: number;
  /** A stream of changes is applied at least this often. */
  maxDelayMs: number;
  /** node-cron expression of the full resync (re-read providers, repair drift), or false. */
  resync: string | false;
}

/** How load-balancer hostnames are looked up and refreshed (src/sources/resolver). */
export interface ResolverConfig {
  /** DNS servers (`ip`, `ip:port`, `[v6]:port`); absent: the system's. */
  servers?: string[];
  /** Answers are looked up again when their TTL runs out, clamped to [minRefreshMs, maxRefreshMs]. */
  minRefreshMs: number;
  maxRefreshMs: number;
}

/** Management-cluster mode: entries and providers as resources, leader election on a Lease. */
export interface ManagementConfig {
  connection: KubeConnection;
  leaseNamespace: string;
  leaseName: string;
  /** Read Secrets in this namespace only (provider credentials elsewhere are "not found"); all namespaces when absent. */
  secretNamespace?: string;
  /** Unique per replica; default `<hostname>-<pid>`. */
  identity?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface Config {
  /** Absolute path of the file the config came from, when it came from a file. */
  source?: string;
  dns: DnsConfig;
  /** Absolute path. */
  stateDir: string;
  logLevel: LogLevel;
  zones: ZoneConfig[];
  sources: SourcesConfig;
  clusters: ClusterConfig[];
  providers: ProviderConfig[];
  entries: GlobalDnsEntry[];
  sync: SyncConfig;
  resolver: ResolverConfig;
  /** How endpoints are probed (entries say whether and what). */
  health: HealthConfig;
  /** Present in management-cluster mode. */
  management?: ManagementConfig;
  /** Clusters from kubeconfig Secrets; needs `management`. */
  clusterSecrets?: ClusterSecretsConfig;
  /** Present when the config has a `proxy:` section that is not `enabled: false`. */
  proxy?: ProxyConfig;
}
