export { ConfigError } from './errors.js';
export { loadConfig, parseConfig } from './parse.js';
export type { ParseOptions } from './parse.js';
export { parseListenAddress } from './listen.js';
export type { ListenAddress } from './listen.js';
export { parseRecordLine, groupRecordLines, DEFAULT_RECORD_TTL } from './records.js';
export type { RecordLine } from './records.js';
export type {
  Config,
  ClusterConfig,
  ClusterSecretsConfig,
  DnsConfig,
  HostnameSources,
  KubeClusterConfig,
  KubeConnection,
  LogLevel,
  ManagementConfig,
  ManifestClusterConfig,
  ProviderConfig,
  EmbeddedProviderConfig,
  Route53ProviderConfig,
  FactoryProviderConfig,
  SyncConfig,
  ResolverConfig,
  SoaSettings,
  SourcesConfig,
  ZoneConfig,
} from './types.js';
export { isKubeCluster } from './types.js';
export { parseLabelSelector, matchesLabels } from './selector.js';
export type { LabelSelector, LabelRequirement } from './selector.js';
export { parseDuration } from './schema.js';
export {
  CRD_API_VERSION,
  CRD_GROUP,
  CRD_VERSION,
  DEFAULT_ENTRY_TTL,
  ENTRY_CONDITIONS,
  PROVIDER_POLICIES,
  PROVIDER_TYPES,
  entryProviderProblem,
  globalDnsProviderSpecSchema,
  globalDnsSpecSchema,
  parseGlobalDns,
  parseGlobalDnsProvider,
  setCondition,
  timestamp,
} from './crd.js';
export type {
  Condition,
  CrdEntry,
  CrdEntryTarget,
  CrdResult,
  GlobalDnsProviderStatus,
  GlobalDnsStatus,
  ProviderPolicy,
  ProviderSpec,
  ProviderType,
  RejectedClaim,
  Route53Settings,
  SecretRef,
} from './crd.js';
export { addressBytes, cidrContains, parseCidr } from './proxy.js';
export type { Cidr, ProxyAcme, ProxyConfig, ProxyHealthCheck, ProxyListen, ProxyTimeouts } from './proxy.js';
