/**
 * The Prometheus metrics of one globaldns process, in a registry of its own (no global state:
 * tests build as many as they like). Two kinds of input:
 *
 * - Pushed: provider API calls (`providerObserver()`), sync reports (`syncReported`), one
 *   prom-client call per event; proxy counts (`proxy.add`), batches the proxy processes count
 *   in plain numbers and send once a second, so that no request calls prom-client.
 * - Pulled at scrape time through `collect()`: cluster, provider-queue, entry and leader state
 *   from `MetricsInputs`, and the DNS query counters, which the DNS server keeps as plain
 *   numbers in a typed array (see src/dns/stats.ts) so that a query never calls prom-client.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterView, EntrySync, LeaderView, NameView, ProviderView } from './status.js';

/** One request a provider made (the shape of providers/provider.ts `ProviderCall`). */
export interface ProviderCallEvent {
  provider: string;
  operation: string;
  outcome: 'ok' | 'error' | 'throttled';
  ms: number;
}

/**
 * What the ingress proxy reports. `host` is the request's Host (the global name), `cluster`
 * the upstream cluster chosen ('' when none could be), `status` the HTTP status sent to the
 * client, `ms` the upstream time (connect to last byte of the response head).
 */
export interface ProxyMetrics {
  request(host: string, cluster: string, status: number, ms: number): void;
  /** An upstream endpoint was taken out of rotation (failed health or too many errors). */
  ejection(cluster: string, endpoint: string): void;
  /** Counts gathered elsewhere (a proxy worker's last second), added at once. */
  add(counts: ProxyCounts): void;
}

/**
 * Upper bounds (seconds) of the proxy's upstream latency buckets. A proxy process counts into
 * buckets of these bounds itself and sends `ProxyCounts`, so that no request calls prom-client.
 */
export const PROXY_LATENCY_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A batch of proxy events; every count is a delta since the previous batch. */
export interface ProxyCounts {
  requests: { host: string; cluster: string; status: number; count: number }[];
  /**
   * Upstream latency per cluster: `buckets[i]` counts the requests of at most
   * `PROXY_LATENCY_BUCKETS[i]` seconds and above the bound before it (not cumulative); the
   * last element counts those above every bound. `sum` in seconds.
   */
  latency: { cluster: string; buckets: number[]; sum: number }[];
  ejections: { cluster: string; endpoint: string; count: number }[];
}

/** The DNS server's counters, as src/dns `QueryStats` keeps them. */
export interface DnsQueryCounters {
  forEach(fn: (rcode: string, type: string, count: number) => void): void;
  readonly dropped: number;
  onLatencySample: ((seconds: number) => void) | undefined;
}

/** State read at scrape time; every function is optional (a part not running has no series). */
export interface MetricsInputs {
  clusters?: () => readonly ClusterView[];
  providers?: () => readonly ProviderView[];
  names?: () => readonly NameView[];
  leader?: () => LeaderView | undefined;
}

export interface MetricsOptions {
  version: string;
  inputs?: MetricsInputs;
  /** Clock for "age" gauges (ms). */
  now?: () => number;
}

/** Every phase a cluster row can be in (Failed, Ignored: kubeconfig Secrets that cannot be used or lost a name clash). */
const CLUSTER_PHASES = ['Syncing', 'Synced', 'Degraded', 'Lost', 'Failed', 'Ignored'] as const;
/** Seconds; DNS answers from the cache take microseconds, a miss builds in well under a millisecond. */
const DNS_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05];
/** Seconds; a loopback probe takes well under a millisecond, a timed-out one its timeout (2 s by default). */
const PROBE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const API_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly proxy: ProxyMetrics;
  private inputs: MetricsInputs;
  private readonly now: () => number;
  private readonly apiCalls: Counter<'provider' | 'operation' | 'outcome'>;
  private readonly apiDuration: Histogram<'provider' | 'operation'>;
  private readonly syncFailures: Counter<'provider' | 'reason'>;
  private readonly dnsLatency: Histogram<string>;
  private readonly probeDuration: Histogram<'type' | 'outcome'>;
  private readonly healthTransitions: Counter<'to'>;
  private dns: DnsQueryCounters | undefined;

  constructor(opts: MetricsOptions) {
    this.inputs = opts.inputs ?? {};
    this.now = opts.now ?? Date.now;
    const registers = [this.registry];
    // Build info: constant 1, the labels carry the facts.
    new Gauge({ name: 'globaldns_build_info', help: 'globaldns version and Node.js version', labelNames: ['version', 'node'], registers }).set({ version: opts.version, node: process.versions.node }, 1);

    const self = this;
    new Gauge({
      name: 'globaldns_cluster_state',
      help: 'Watch state of each cluster: 1 for the current phase (Syncing, Synced, Degraded, Lost), 0 for the others',
      labelNames: ['cluster', 'state'],
      registers,
      collect() {
        this.reset();
        for (const c of self.inputs.clusters?.() ?? []) for (const p of CLUSTER_PHASES) this.set({ cluster: c.cluster, state: p }, c.phase === p ? 1 : 0);
      },
    });
    new Gauge({
      name: 'globaldns_cluster_last_event_age_seconds',
      help: 'Seconds since the last list or watch event from the cluster (absent before the first)',
      labelNames: ['cluster'],
      registers,
      collect() {
        this.reset();
        const now = self.now();
        for (const c of self.inputs.clusters?.() ?? []) if (c.lastEventAt !== undefined) this.set({ cluster: c.cluster }, Math.max(0, (now - c.lastEventAt) / 1000));
      },
    });
    new Counter({
      name: 'globaldns_cluster_watch_restarts_total',
      help: 'Lists or watches of the cluster that failed and were restarted after a backoff',
      labelNames: ['cluster'],
      registers,
      collect() {
        this.reset();
        for (const c of self.inputs.clusters?.() ?? []) this.inc({ cluster: c.cluster }, c.watchRestarts);
      },
    });

    this.apiCalls = new Counter({ name: 'globaldns_provider_api_calls_total', help: 'Requests sent to a DNS provider, by operation and outcome (ok, error, throttled)', labelNames: ['provider', 'operation', 'outcome'], registers });
    this.apiDuration = new Histogram({ name: 'globaldns_provider_api_call_duration_seconds', help: 'Duration of provider API requests', labelNames: ['provider', 'operation'], buckets: API_BUCKETS, registers });
    this.probeDuration = new Histogram({ name: 'globaldns_probe_duration_seconds', help: 'Endpoint health probes by type (http, https, tcp) and outcome (success, failure)', labelNames: ['type', 'outcome'], buckets: PROBE_BUCKETS, registers });
    this.healthTransitions = new Counter({ name: 'globaldns_health_transitions_total', help: 'Endpoint health changes, by the health reached (healthy, unhealthy)', labelNames: ['to'], registers });
    this.syncFailures = new Counter({ name: 'globaldns_provider_sync_errors_total', help: 'Entry syncs that did not complete, by reason (ApplyFailed, ProviderError, Conflict, NoZone)', labelNames: ['provider', 'reason'], registers });
    new Gauge({
      name: 'globaldns_provider_pending_changes',
      help: 'Names waiting to be applied to the provider (debounce, retry or not leading)',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const p of self.inputs.providers?.() ?? []) this.set({ provider: p.provider }, p.pending);
      },
    });
    new Gauge({
      name: 'globaldns_provider_last_sync_timestamp_seconds',
      help: 'Unix time the provider was last read, or written without a failure',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const p of self.inputs.providers?.() ?? []) if (p.lastSyncAt !== undefined) this.set({ provider: p.provider }, p.lastSyncAt / 1000);
      },
    });

    new Gauge({
      name: 'globaldns_entry_endpoints',
      help: 'Endpoints (Ingresses, Services) whose claim on the global name is published',
      labelNames: ['fqdn'],
      registers,
      collect() {
        this.reset();
        for (const n of self.inputs.names?.() ?? []) this.set({ fqdn: n.fqdn }, n.endpoints.filter((e) => e.accepted).length);
      },
    });
    new Gauge({
      name: 'globaldns_entry_rejected_claims',
      help: 'Endpoints claiming the global name that its entry does not target (never published)',
      labelNames: ['fqdn'],
      registers,
      collect() {
        this.reset();
        for (const n of self.inputs.names?.() ?? []) this.set({ fqdn: n.fqdn }, n.endpoints.filter((e) => !e.accepted).length);
      },
    });

    new Gauge({
      name: 'globaldns_endpoint_healthy',
      help: 'Health of each endpoint address of a name with a health check or failover: 1 healthy, 0 unhealthy; absent while unknown (not probed yet)',
      labelNames: ['name', 'cluster', 'address'],
      registers,
      collect() {
        this.reset();
        for (const n of self.inputs.names?.() ?? []) {
          for (const e of n.endpointHealth?.endpoints ?? []) if (e.health !== 'unknown') this.set({ name: n.fqdn, cluster: e.cluster, address: e.address }, e.health === 'healthy' ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'globaldns_all_down',
      help: 'Whether every endpoint of the name is down (answered with all of them, or SERVFAIL): 1 or 0; only names with a health check or failover',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const n of self.inputs.names?.() ?? []) if (n.endpointHealth) this.set({ name: n.fqdn }, n.endpointHealth.allDown ? 1 : 0);
      },
    });

    new Counter({
      name: 'globaldns_dns_queries_total',
      help: 'DNS queries answered by the embedded server, by response code and query type',
      labelNames: ['rcode', 'type'],
      registers,
      collect() {
        this.reset();
        self.dns?.forEach((rcode, type, count) => this.inc({ rcode, type }, count));
      },
    });
    new Counter({
      name: 'globaldns_dns_queries_dropped_total',
      help: 'DNS messages dropped without an answer (responses, runts)',
      registers,
      collect() {
        this.reset();
        if (self.dns && self.dns.dropped > 0) this.inc(self.dns.dropped);
      },
    });
    this.dnsLatency = new Histogram({
      name: 'globaldns_dns_query_duration_seconds',
      help: 'Time to answer a DNS query inside the server (parse, lookup, copy), sampled: one query in 64',
      buckets: DNS_BUCKETS,
      registers,
    });

    const proxyRequests = new Counter({ name: 'globaldns_proxy_requests_total', help: 'Requests through the ingress proxy, by host, upstream cluster and status', labelNames: ['host', 'cluster', 'status'], registers });
    const proxyLatency = new CountedHistogram('globaldns_proxy_upstream_duration_seconds', 'Upstream response time of proxied requests (dispatch to response head, or to the failure)', 'cluster', PROXY_LATENCY_BUCKETS);
    // prom-client types registerMetric() for its own classes; the registry only calls get() and reset().
    this.registry.registerMetric(proxyLatency as unknown as Histogram<string>);
    const ejections = new Counter({ name: 'globaldns_proxy_ejections_total', help: 'Upstream endpoints taken out of rotation', labelNames: ['cluster', 'endpoint'], registers });
    this.proxy = {
      request(host, cluster, status, ms) {
        proxyRequests.inc({ host, cluster, status: String(status) });
        if (cluster !== '') proxyLatency.observe(cluster, ms / 1000);
      },
      ejection(cluster, endpoint) {
        ejections.inc({ cluster, endpoint });
      },
      add(counts) {
        // One prom-client call per label set in the batch, not per request.
        for (const r of counts.requests) if (r.count > 0) proxyRequests.inc({ host: r.host, cluster: r.cluster, status: String(r.status) }, r.count);
        for (const l of counts.latency) proxyLatency.add(l.cluster, l.buckets, l.sum);
        for (const e of counts.ejections) if (e.count > 0) ejections.inc({ cluster: e.cluster, endpoint: e.endpoint }, e.count);
      },
    };

    new Gauge({
      name: 'globaldns_leader',
      help: 'Whether this replica leads (writes to external providers): 1 or 0; absent without leader election',
      labelNames: ['identity'],
      registers,
      collect() {
        this.reset();
        const l = self.inputs.leader?.();
        if (l) this.set({ identity: l.identity }, l.isLeader ? 1 : 0);
      },
    });
  }

  /** Sets or replaces the scrape-time inputs (serve builds some parts after the metrics). */
  setInputs(inputs: MetricsInputs): void {
    this.inputs = { ...this.inputs, ...inputs };
  }

  /** Exports the DNS server's counters and takes its latency samples. */
  attachDns(counters: DnsQueryCounters): void {
    this.dns = counters;
    counters.onLatencySample = (seconds) => this.dnsLatency.observe(seconds);
  }

  /** A `ProviderCallObserver` for providers/*: counts every call and its duration. Never throws. */
  providerObserver(): (call: ProviderCallEvent) => void {
    return (call) => {
      try {
        this.apiCalls.inc({ provider: call.provider, operation: call.operation, outcome: call.outcome });
        this.apiDuration.observe({ provider: call.provider, operation: call.operation }, call.ms / 1000);
      } catch {
        // A metric must never fail a provider call (prom-client throws only on bad labels).
      }
    };
  }

  /** Times one health probe. */
  observeProbe(type: string, ok: boolean, ms: number): void {
    this.probeDuration.observe({ type, outcome: ok ? 'success' : 'failure' }, ms / 1000);
  }

  /** Counts one endpoint health transition. */
  countHealthTransition(to: string): void {
    this.healthTransitions.inc({ to });
  }

  /** Counts an entry's failed sync report (a sync that succeeded counts nothing). */
  syncReported(st: EntrySync): void {
    if (!st.synced && st.reason !== 'Pending' && st.reason !== 'NotLeader') this.syncFailures.inc({ provider: st.provider, reason: st.reason });
  }

  /** The exposition text (and its content type). */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/**
 * A histogram with one label that takes whole bucket counts (`add`), for observations counted
 * in another process; prom-client's Histogram only takes one observation per call. Exposed in
 * the same text format (cumulative `_bucket` with `le`, `_sum`, `_count`).
 */
class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { buckets: Float64Array; sum: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly label: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(value: string, seconds: number): void {
    const s = this.slot(value);
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]) i++;
    s.buckets[i]++;
    s.sum += seconds;
  }

  /** `buckets` as in `ProxyCounts.latency` (per bucket, not cumulative, +Inf last); extra elements are ignored. */
  add(value: string, buckets: readonly number[], sum: number): void {
    const s = this.slot(value);
    const n = Math.min(buckets.length, s.buckets.length);
    for (let i = 0; i < n; i++) s.buckets[i] += buckets[i];
    s.sum += sum;
  }

  reset(): void {
    this.series.clear();
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [value, s] of this.series) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.buckets[i];
        values.push({ labels: { [this.label]: value, le: this.bounds[i] }, value: acc, metricName: `${this.name}_bucket` });
      }
      acc += s.buckets[this.bounds.length];
      values.push({ labels: { [this.label]: value, le: '+Inf' }, value: acc, metricName: `${this.name}_bucket` });
      values.push({ labels: { [this.label]: value }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.label]: value }, value: acc, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private slot(value: string): { buckets: Float64Array; sum: number } {
    let s = this.series.get(value);
    if (!s) this.series.set(value, s = { buckets: new Float64Array(this.bounds.length + 1), sum: 0 });
    return s;
  }
}
