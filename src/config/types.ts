import type { GlobalDnsEntry, RecordSet, Soa } from '../model/index.js';
import type { ListenAddress } from './listen.js';

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

export interface ClusterConfig {
  name: string;
  /** Absolute path of the folder of manifests that stands for this cluster. */
  manifests: string;
}

export interface ProviderConfig {
  name: string;
  type: 'embedded';
}

export interface Config {
  /** Absolute path of the file the config came from, when it came from a file. */
  source?: string;
  dns: DnsConfig;
  /** Absolute path. */
  stateDir: string;
  logLevel: LogLevel;
  zones: ZoneConfig[];
  clusters: ClusterConfig[];
  providers: ProviderConfig[];
  entries: GlobalDnsEntry[];
}
