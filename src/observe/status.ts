/**
 * The status report behind `/api/v1/status`, the dashboard and `globaldns status`: a pure
 * function of read-only views of the running parts. The views are structural so this module
 * needs nothing but the model; serve (src/cli.ts) adapts the sources, controllers and
 * elector to them.
 */
import type { Endpoint, EndpointHealth, GlobalDnsEntry } from '../model/index.js';

/** One watched cluster (a Kubernetes source or a manifest folder). */
export interface ClusterView {
  cluster: string;
  /** Syncing, Synced, Degraded, Lost. */
  phase: string;
  /** Wall time (ms) the phase began. */
  since?: number;
  lastError?: string;
  /** Wall time (ms) of the last list or watch event. */
  lastEventAt?: number;
  watchRestarts: number;
  /** Kinds whose list or watch fails now. */
  failing?: readonly string[];
}

/** One external provider's queue. */
export interface ProviderView {
  provider: string;
  pending: number;
  lastSyncAt?: number;
  lastError?: string;
}

/** An entry's last sync report from one provider (src/controller `EntrySyncStatus`). */
export interface EntrySync {
  fqdn: string;
  provider: string;
  synced: boolean;
  reason: string;
  message: string;
}

export interface LeaderView {
  identity: string;
  isLeader: boolean;
  /** The current holder as last seen ('' when none). */
  leader: string;
}

export interface Readiness {
  /** Every cluster was read once, or given up on after its grace period. */
  sourcesSynced: boolean;
  /** Zones were restored from the state directory at start. */
  snapshotLoaded: boolean;
  listenersBound: boolean;
}

/** A claim that the entries refuse (the desired-state stage's `rejected()`). */
export interface RejectedClaim {
  fqdn: string;
  /** The endpoint key, cluster/namespace/kind/name. */
  key: string;
  reason: string;
}

export interface StatusInputs {
  version: string;
  clusters(): readonly ClusterView[];
  endpoints: { names(): string[]; byName(fqdn: string): readonly Endpoint[] };
  entries(): readonly GlobalDnsEntry[];
  /** The entry governing a name (the desired-state stage's `entryFor`: exact, else the closest wildcard). */
  entryFor(fqdn: string): GlobalDnsEntry | undefined;
  /** Claims the entries refuse (the desired-state stage's `rejected()`). */
  rejected?(): readonly RejectedClaim[];
  providers?(): readonly ProviderView[];
  syncs?(): readonly EntrySync[];
  leader?(): LeaderView | undefined;
  /**
   * How health and routing shaped a name's answer (the desired-state stage's
   * `nameHealthReport`); undefined for names whose entry has neither a health check nor failover.
   */
  health?(fqdn: string): NameHealthView | undefined;
  readiness(): Readiness;
}

/** One endpoint address of a checked (or failover) name. Times are wall-clock milliseconds. */
export interface EndpointHealthView {
  cluster: string;
  address: string;
  /** Failover group (1 when the entry says none). */
  priority: number;
  /** `unknown` until the first verdict. */
  health: EndpointHealth;
  since?: number;
  /** Whether the answer holds it. */
  served: boolean;
  /** The latest probe: `status 200`, `connect ECONNREFUSED`, `timeout after 2s`, … */
  lastProbe?: { ok: boolean; reason: string; durationMs: number; at: number };
  /** The replicas whose verdicts agree and disagree (only where a quorum over replicas runs). */
  vantages?: { agree: string[]; disagree: string[] };
}

export interface NameHealthView {
  endpoints: EndpointHealthView[];
  /** Failover: the priority group answered. */
  activeGroup?: number;
  /** Every endpoint is down: all of them are answered (serve-all), or SERVFAIL (`servfail`). */
  allDown: boolean;
  servfail: boolean;
  healthy: number;
  total: number;
}

export interface EndpointView {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  targets: string[];
  /** Published (its cluster is a target of the entry); else `rejection` says why not. */
  accepted: boolean;
  rejection?: string;
}

/**
 * - `up`: published endpoints from at least one synced cluster.
 * - `stale`: published endpoints, but only from clusters not read now (kept for their grace).
 * - `down`: nothing published.
 * - `unclaimed`: an entry no endpoint claims yet.
 */
export type NameHealth = 'up' | 'stale' | 'down' | 'unclaimed';

export interface NameView {
  fqdn: string;
  /** The entry's provider; undefined when no entry covers the name. */
  provider?: string;
  clusters: string[];
  endpoints: EndpointView[];
  health: NameHealth;
  /** Last report of the provider (external providers only). */
  sync?: { synced: boolean; reason: string; message: string };
  /** The latest problem: a failed sync, or a rejection. */
  lastError?: string;
  /** Per endpoint address: health, since when, the last probe; absent without a health check or failover. */
  endpointHealth?: NameHealthView;
}

export interface StatusReport {
  version: string;
  generatedAt: string;
  ready: boolean;
  readiness: Readiness;
  leader?: LeaderView;
  clusters: (ClusterView & { lastEventAgeSeconds?: number })[];
  providers: ProviderView[];
  names: NameView[];
}

/** Serve answers DNS once its listeners are bound and it knows what to answer: read or restored. */
export function isReady(r: Readiness): boolean {
  return r.listenersBound && (r.sourcesSynced || r.snapshotLoaded);
}

export function buildStatus(inputs: StatusInputs, now = Date.now()): StatusReport {
  const readiness = inputs.readiness();
  const clusters = inputs.clusters().map((c) => ({
    ...c,
    ...(c.lastEventAt !== undefined ? { lastEventAgeSeconds: Math.max(0, Math.round((now - c.lastEventAt) / 100) / 10) } : {}),
  }));
  const phaseOf = new Map(clusters.map((c) => [c.cluster, c.phase]));
  const entries = inputs.entries();
  const rejectedByKey = new Map<string, string>();
  for (const r of inputs.rejected?.() ?? []) rejectedByKey.set(`${r.fqdn} ${r.key}`, r.reason);
  const syncs = new Map<string, EntrySync>();
  for (const s of inputs.syncs?.() ?? []) syncs.set(s.fqdn, s);

  const fqdns = new Set<string>(inputs.endpoints.names());
  for (const e of entries) if (!e.fqdn.startsWith('*.')) fqdns.add(e.fqdn);
  const names: NameView[] = [...fqdns].sort().map((fqdn) => {
    const entry = inputs.entryFor(fqdn);
    const endpoints: EndpointView[] = inputs.endpoints.byName(fqdn).map((ep) => {
      const key = `${ep.cluster}/${ep.namespace}/${ep.kind}/${ep.name}`;
      const rejection = entry ? rejectedByKey.get(`${fqdn} ${key}`) : 'no GlobalDNS entry for this name';
      const view: EndpointView = { cluster: ep.cluster, namespace: ep.namespace, kind: ep.kind, name: ep.name, targets: [...ep.targets], accepted: rejection === undefined };
      if (rejection !== undefined) view.rejection = rejection;
      return view;
    });
    // In a fixed order (cluster, namespace, kind, name), not the order the watches happened to deliver.
    endpoints.sort((a, b) => compareKeys(a, b));
    const published = endpoints.filter((e) => e.accepted);
    const health: NameHealth = endpoints.length === 0 ? 'unclaimed' : published.length === 0 ? 'down' : published.some((e) => phaseOf.get(e.cluster) === 'Synced') ? 'up' : 'stale';
    const view: NameView = { fqdn, clusters: [...new Set(endpoints.map((e) => e.cluster))].sort(), endpoints, health };
    if (entry) view.provider = entry.provider;
    const sync = syncs.get(fqdn);
    if (sync) view.sync = { synced: sync.synced, reason: sync.reason, message: sync.message };
    const lastError = sync && !sync.synced && sync.reason !== 'Pending' ? `${sync.reason}: ${sync.message}` : endpoints.find((e) => e.rejection)?.rejection;
    if (lastError) view.lastError = lastError;
    const endpointHealth = inputs.health?.(fqdn);
    if (endpointHealth) view.endpointHealth = endpointHealth;
    return view;
  });

  const report: StatusReport = {
    version: inputs.version,
    generatedAt: new Date(now).toISOString(),
    ready: isReady(readiness),
    readiness,
    clusters,
    providers: [...(inputs.providers?.() ?? [])],
    names,
  };
  const leader = inputs.leader?.();
  if (leader) report.leader = leader;
  return report;
}

/** `globaldns status`: the report as aligned plain-text tables. */
export function formatStatus(r: StatusReport): string {
  const out: string[] = [];
  const ready = r.ready ? 'ready' : `not ready (${notReadyReason(r.readiness)})`;
  out.push(`globaldns ${r.version}: ${ready}${r.leader ? `; ${r.leader.isLeader ? 'leader' : `follower (leader: ${r.leader.leader || 'none'})`}` : ''}`);
  out.push('');
  out.push(...table(['CLUSTER', 'STATE', 'LAST EVENT', 'RESTARTS', 'LAST ERROR'], r.clusters.map((c) => [c.cluster, c.phase, c.lastEventAgeSeconds === undefined ? '-' : `${c.lastEventAgeSeconds}s ago`, String(c.watchRestarts), c.lastError ?? ''])));
  if (r.providers.length > 0) {
    out.push('');
    out.push(...table(['PROVIDER', 'PENDING', 'LAST SYNC', 'LAST ERROR'], r.providers.map((p) => [p.provider, String(p.pending), p.lastSyncAt === undefined ? '-' : new Date(p.lastSyncAt).toISOString(), p.lastError ?? ''])));
  }
  out.push('');
  out.push(
    ...table(
      ['NAME', 'HEALTH', 'PROVIDER', 'CLUSTERS', 'TARGETS', 'HEALTHY', 'SYNC', 'LAST ERROR'],
      r.names.map((n) => [
        n.fqdn,
        n.health,
        n.provider ?? '-',
        n.clusters.join(',') || '-',
        [...new Set(n.endpoints.filter((e) => e.accepted).flatMap((e) => e.targets))].join(',') || '-',
        n.endpointHealth ? healthSummary(n.endpointHealth) : '-',
        n.sync ? n.sync.reason : '-',
        n.lastError ?? '',
      ]),
    ),
  );
  const checked = r.names.filter((n) => n.endpointHealth && n.endpointHealth.endpoints.length > 0);
  if (checked.length > 0) {
    const now = Date.parse(r.generatedAt);
    out.push('');
    out.push(
      ...table(
        ['NAME', 'CLUSTER', 'ADDRESS', 'PRIORITY', 'HEALTH', 'SINCE', 'ANSWERED', 'LAST PROBE'],
        checked.flatMap((n) =>
          (n.endpointHealth?.endpoints ?? []).map((e) => [
            n.fqdn,
            e.cluster,
            e.address,
            String(e.priority),
            e.health,
            e.since === undefined ? '-' : `${age(now - e.since)} ago`,
            e.served ? 'yes' : 'no',
            e.lastProbe ? `${e.lastProbe.ok ? 'pass' : 'fail'}: ${e.lastProbe.reason} (${age(now - e.lastProbe.at)} ago)` : '-',
          ])
        ),
      ),
    );
  }
  return out.join('\n') + '\n';
}

/** `2/3`, `2/3 group 1`, `0/2 ALL DOWN (serve-all)`. */
export function healthSummary(h: NameHealthView): string {
  const group = h.activeGroup !== undefined && !h.allDown ? ` group ${h.activeGroup}` : '';
  const down = h.allDown ? ` ALL DOWN (${h.servfail ? 'servfail' : 'serve-all'})` : '';
  return `${h.healthy}/${h.total}${group}${down}`;
}

/** A duration for people: 0s, 42s, 5m, 3h, 2d. */
function age(ms: number): string {
  const d = Math.max(0, ms);
  if (d < 60_000) return `${Math.floor(d / 1000)}s`;
  if (d < 3_600_000) return `${Math.floor(d / 60_000)}m`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)}h`;
  return `${Math.floor(d / 86_400_000)}d`;
}

function notReadyReason(r: Readiness): string {
  if (!r.listenersBound) return 'listeners not bound';
  return 'clusters not read yet, no snapshot';
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

function compareKeys(a: EndpointView, b: EndpointView): number {
  for (const k of ['cluster', 'namespace', 'kind', 'name'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}
