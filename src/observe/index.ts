export { createLogger } from './logger.js';
export type { ServiceLogger } from './logger.js';
export { Metrics, PROXY_LATENCY_BUCKETS } from './metrics.js';
export type { DnsQueryCounters, MetricsInputs, MetricsOptions, ProviderCallEvent, ProxyCounts, ProxyMetrics } from './metrics.js';
export { AdminServer } from './admin-server.js';
export type { AdminServerOptions } from './admin-server.js';
export { buildStatus, formatStatus, healthSummary, isReady } from './status.js';
export type { ClusterView, EndpointHealthView, EndpointView, EntrySync, LeaderView, NameHealth, NameHealthView, NameView, ProviderView, Readiness, RejectedClaim, StatusInputs, StatusReport } from './status.js';
export { DASHBOARD_HTML } from './dashboard.js';
