import { timestamp } from '../config/index.js';
import type { CrdEntry, NameHealthStatus } from '../config/index.js';
import { nameHealthReport } from '../desired/index.js';
import type { DesiredState, HealthReportSource } from '../desired/index.js';
import { projectMatches } from '../planner/index.js';
import type { ConditionUpdate, EntryStatusUpdate, ManagedProvider, ManagementView, ProviderStatusUpdate, ResourceProblem } from '../sources/index.js';
import type { EntrySyncStatus } from './external.js';
import { EXTERNAL_TYPES } from './provider-runtime.js';
import type { ProviderRuntime } from './provider-runtime.js';

/**
 * What the GlobalDNS and GlobalDNSProvider statuses are made of, read-only: the resources'
 * view, the desired state, what the providers said, the embedded zones and the watched
 * clusters. The statuses are a function of these alone (`resourceStatuses`); the runtime
 * writes them (`ManagementWriter`), the leader only.
 */
export interface StatusFacts {
  view: ManagementView;
  /** The health part reads `verdictOf` (and `vantagesOf`, once a quorum over replicas provides it). */
  desired: Pick<DesiredState, 'get' | 'names' | 'addresses'> & HealthReportSource;
  providers: Pick<ProviderRuntime, 'zoneReport' | 'isBound' | 'awaitingPass' | 'syncsOf'>;
  /** Apexes of the embedded zones. */
  zones: readonly string[];
  /** Clusters globaldns watches. */
  clusters: readonly string[];
  projectsOf?: (cluster: string) => ReadonlySet<string> | undefined;
  /** Whether the embedded server answers `fqdn` with address records now. */
  embeddedHolds: (fqdn: string) => boolean;
  /** Why a deleted provider's deletion waits, when it does. */
  deletionBlocked: (provider: string) => string | undefined;
}

/** One status to write. */
export interface StatusWrite {
  key: string;
  kind: 'GlobalDNS' | 'GlobalDNSProvider';
  namespace?: string;
  name: string;
  status: EntryStatusUpdate | ProviderStatusUpdate;
}

/**
 * Every resource's status now. `waiting`: resources whose status is left as it was (a provider
 * that has not finished its pass since this replica leads: no flapping through Pending);
 * `again`: something is on its way, compute again shortly.
 */
export function resourceStatuses(f: StatusFacts): { writes: StatusWrite[]; waiting: string[]; again: boolean } {
  let again = false;
  const waiting: string[] = [];
  const writes: StatusWrite[] = [];
  // Claimed names by the entry governing them (its fqdn), once for all entries.
  const namesOf = new Map<string, string[]>();
  for (const n of f.desired.names()) {
    const e = f.desired.get(n)?.entry;
    if (e) namesOf.set(e.fqdn, [...(namesOf.get(e.fqdn) ?? []), n]);
  }
  for (const entry of f.view.entries) {
    const st = entryStatus(f, entry, namesOf.get(entry.fqdn) ?? []);
    if (st === 'pending') {
      again = true;
      waiting.push(`GlobalDNS ${entry.resource}`);
      continue;
    }
    if (st.retry) again = true;
    writes.push({ key: `GlobalDNS ${entry.resource}`, kind: 'GlobalDNS', namespace: entry.namespace, name: entry.name, status: st.status });
  }
  for (const p of f.view.problems) {
    if (p.kind === 'GlobalDNS') {
      const { namespace, name } = splitResource(p.resource);
      writes.push({ key: `GlobalDNS ${p.resource}`, kind: 'GlobalDNS', namespace, name, status: problemEntryStatus(p) });
    }
  }
  for (const p of f.view.providers) {
    const blocked = f.deletionBlocked(p.name);
    const st = providerStatus(f, p) ?? (blocked === undefined ? undefined : { conditions: [], zones: [], entries: entriesOf(f, p.name), observedGeneration: p.generation });
    if (st === undefined) {
      again = true;
      waiting.push(`GlobalDNSProvider ${p.name}`);
      continue;
    }
    writes.push({ key: `GlobalDNSProvider ${p.name}`, kind: 'GlobalDNSProvider', name: p.name, status: withDeletionBlocked(st, blocked, p.generation) });
  }
  const problemProviders = new Map<string, ResourceProblem[]>();
  for (const p of f.view.problems) if (p.kind === 'GlobalDNSProvider') problemProviders.set(p.resource, [...(problemProviders.get(p.resource) ?? []), p]);
  for (const [name, problems] of problemProviders) {
    const gen = problems[0]?.generation ?? 0;
    const message = problems.map((p) => p.message).join('; ');
    const reason = /Secret .* (not found|has no)/.test(message) ? 'SecretNotUsable' : 'InvalidSpec';
    writes.push({
      key: `GlobalDNSProvider ${name}`,
      kind: 'GlobalDNSProvider',
      name,
      status: withDeletionBlocked({ conditions: [condition('Ready', false, reason, message, gen)], zones: [], entries: entriesOf(f, name), observedGeneration: gen }, f.deletionBlocked(name), gen),
    });
  }
  return { writes, waiting, again };
}

function entriesOf(f: StatusFacts, provider: string): number {
  return f.view.entries.filter((e) => e.provider === provider).length;
}

function problemEntryStatus(p: ResourceProblem): EntryStatusUpdate {
  const gen = p.generation;
  let reason = 'InvalidSpec';
  let providerReady: ConditionUpdate;
  if (p.message.startsWith('spec.providerRef:')) {
    reason = p.message.includes('no GlobalDNSProvider') ? 'ProviderNotFound' : p.message.includes('does not allow') ? 'ProviderNotAllowed' : 'ProviderNotReady';
    providerReady = condition('ProviderReady', false, reason, p.message, gen);
  } else {
    if (p.message.startsWith('spec.fqdn:') && p.message.includes('already published')) reason = 'DuplicateName';
    providerReady = condition('ProviderReady', 'Unknown', reason, 'not evaluated: the resource has a problem', gen);
  }
  return {
    clusterEndpoints: {},
    endpoints: [],
    rejectedClaims: [],
    conditions: [
      condition('Ready', false, reason, p.message, gen),
      providerReady,
      condition('RecordsSynced', false, reason, `nothing is published: ${p.message}`, gen),
    ],
    observedGeneration: gen,
  };
}

/** The entry's status now; 'pending' while the external side has not reported since this replica leads. */
function entryStatus(f: StatusFacts, entry: CrdEntry, names: readonly string[]): { status: EntryStatusUpdate; retry: boolean } | 'pending' {
  const gen = entry.generation;
  const clusterEndpoints: Record<string, string[]> = {};
  const endpoints: string[] = [];
  const rejectedClaims: EntryStatusUpdate['rejectedClaims'] = [];
  const published: string[] = [];
  for (const name of names) {
    const state = f.desired.get(name);
    if (!state) continue;
    for (const e of state.accepted) clusterEndpoints[e.cluster] = sorted([...(clusterEndpoints[e.cluster] ?? []), ...f.desired.addresses(e)]);
    for (const r of state.records) endpoints.push(...r.values);
    if (state.records.length > 0) published.push(name);
    for (const r of state.rejected) rejectedClaims.push({ ...parseEndpointKey(r.key), reason: r.reason });
  }
  const health = healthStatus(f, names);

  const provider = f.view.providers.find((p) => p.name === entry.provider);
  let providerReady: ConditionUpdate;
  let synced: ConditionUpdate;
  let retry = false;
  if (!provider) {
    providerReady = condition('ProviderReady', false, 'ProviderNotFound', `no GlobalDNSProvider "${entry.provider}"`, gen);
  } else if (provider.type === 'embedded') {
    const apex = f.zones.find((z) => entry.fqdn === z || entry.fqdn.endsWith(`.${z}`));
    providerReady = apex === undefined
      ? condition('ProviderReady', false, 'NoZone', `no zone of the embedded server holds ${entry.fqdn} (zones: ${f.zones.join(', ') || 'none'})`, gen)
      : condition('ProviderReady', true, 'ZoneFound', `served by the embedded server in zone ${apex}`, gen);
  } else if (!EXTERNAL_TYPES.has(provider.type)) {
    providerReady = condition('ProviderReady', false, 'ProviderTypeUnsupported', `provider type ${provider.type} is not supported by this version`, gen);
  } else {
    const report = f.providers.zoneReport(provider.name);
    if (!report || !f.providers.isBound(provider.name)) {
      if (f.providers.awaitingPass(provider.name)) return 'pending';
      providerReady = condition('ProviderReady', 'Unknown', 'Pending', `provider ${provider.name} not read yet`, gen);
    } else if (report.error !== undefined) {
      providerReady = condition('ProviderReady', false, 'ProviderError', `provider ${provider.name}: ${report.error}`, gen);
    } else {
      const zone = (report.zones ?? []).find((z) => entry.fqdn === z.name || entry.fqdn.endsWith(`.${z.name}`));
      providerReady = zone
        ? condition('ProviderReady', true, 'ZoneFound', `hosted zone ${zone.name} (${zone.id})`, gen)
        : condition('ProviderReady', false, 'NoZone', `no hosted zone of provider ${provider.name} holds ${entry.fqdn}`, gen);
    }
  }

  if (providerReady.status !== 'True') {
    synced = condition('RecordsSynced', false, providerReady.reason, `nothing is published: ${providerReady.message}`, gen);
  } else if (published.length === 0) {
    synced = condition('RecordsSynced', false, 'NoEndpoints', `no accepted endpoint with an address claims ${entry.fqdn}; nothing is published`, gen);
  } else if (provider?.type === 'embedded') {
    const missing = published.filter((n) => !f.embeddedHolds(n));
    if (missing.length > 0) retry = true;
    synced = missing.length === 0
      ? condition('RecordsSynced', true, 'Synced', `${published.length} name${published.length === 1 ? '' : 's'} served by the embedded server`, gen)
      : condition('RecordsSynced', false, 'Pending', `not served yet: ${missing.join(', ')}`, gen);
  } else {
    const reports = f.providers.syncsOf(entry.provider);
    const states = published.map((n) => reports.get(n));
    const bad = states.filter((s): s is EntrySyncStatus => s !== undefined && !s.synced && s.reason !== 'NotLeader');
    if (bad.length > 0) {
      const first = bad.find((s) => s.reason === 'Conflict') ?? bad[0];
      synced = condition('RecordsSynced', false, first.reason, bad.map((s) => `${s.fqdn}: ${s.message}`).join('; '), gen);
    } else if (states.every((s) => s?.synced === true)) {
      synced = condition('RecordsSynced', true, 'Synced', states.map((s) => `${s?.fqdn}: ${s?.message}`).join('; '), gen);
    } else {
      // Changes are on their way: leave the status as it was rather than flap through Pending.
      if (f.providers.awaitingPass(entry.provider)) return 'pending';
      retry = true;
      synced = condition('RecordsSynced', false, 'Pending', 'changes are being applied', gen);
    }
  }

  const unknownTargets = entry.targets.flatMap((t, i) => (f.clusters.includes(t.cluster) ? [] : [`spec.targets[${i}]: cluster ${t.cluster} is not watched by globaldns`]));
  const unknownProjects = entry.targets.flatMap((t, i) => {
    if (!t.projects || !f.clusters.includes(t.cluster)) return [];
    const known = f.projectsOf?.(t.cluster);
    if (known === undefined) return [];
    return t.projects
      .filter((p) => ![...known].some((k) => projectMatches(p, k)))
      .map((p) => `spec.targets[${i}]: project ${p} is carried by no namespace of cluster ${t.cluster} (label or annotation field.cattle.io/projectId)`);
  });
  let ready: ConditionUpdate;
  if (unknownTargets.length > 0) ready = condition('Ready', false, 'TargetNotFound', unknownTargets.join('; '), gen);
  else if (unknownProjects.length > 0) ready = condition('Ready', false, 'UnknownProject', unknownProjects.join('; '), gen);
  else if (providerReady.status !== 'True') ready = condition('Ready', false, providerReady.reason, providerReady.message, gen);
  else if (synced.status !== 'True') ready = condition('Ready', false, synced.reason, synced.message, gen);
  else ready = condition('Ready', true, 'Ready', `${entry.fqdn} is published: ${sorted(endpoints).join(', ')}`, gen);

  return {
    retry,
    status: {
      clusterEndpoints,
      endpoints: sorted(endpoints),
      ...health,
      rejectedClaims: rejectedClaims.sort((a, b) => `${a.cluster}/${a.namespace}/${a.kind}/${a.name}`.localeCompare(`${b.cluster}/${b.namespace}/${b.kind}/${b.name}`)),
      conditions: [ready, providerReady, synced],
      observedGeneration: gen,
    },
  };
}

/**
 * The health part of an entry's status: per name it governs, per endpoint address, the health,
 * since when, whether it is answered and the latest probe's reason; and healthy/total over
 * them all (the `Healthy` printer column). Nothing for entries without a check or failover.
 * Probe times and durations are left out on purpose: they change with every probe, and a
 * status must change only when something does.
 */
function healthStatus(f: StatusFacts, names: readonly string[]): { healthyEndpoints?: string; health?: NameHealthStatus[] } {
  const health: NameHealthStatus[] = [];
  let healthy = 0;
  let total = 0;
  for (const name of [...names].sort()) {
    const report = nameHealthReport(f.desired, name);
    if (!report) continue;
    healthy += report.healthy;
    total += report.total;
    const whenAllDown = report.servfail ? 'servfail' : 'serve-all';
    health.push({
      name,
      ...(report.activeGroup !== undefined ? { activeGroup: report.activeGroup } : {}),
      allDown: report.allDown,
      ...(report.allDown ? { whenAllDown } : {}),
      endpoints: report.endpoints.map((e) => ({
        cluster: e.cluster,
        address: e.address,
        priority: e.priority,
        health: e.health,
        ...(e.since !== undefined ? { since: timestamp(new Date(e.since)) } : {}),
        served: e.served,
        ...(e.lastProbe ? { lastProbe: e.lastProbe.reason } : {}),
        ...(e.vantages ? { vantages: e.vantages } : {}),
      })),
    });
  }
  return health.length === 0 ? {} : { healthyEndpoints: `${healthy}/${total}`, health };
}

function providerStatus(f: StatusFacts, p: ManagedProvider): ProviderStatusUpdate | undefined {
  const gen = p.generation;
  const entries = entriesOf(f, p.name);
  if (p.type === 'embedded') {
    return { conditions: [condition('Ready', true, 'Ready', `the embedded server serves ${f.zones.length} zone${f.zones.length === 1 ? '' : 's'}`, gen)], zones: [...f.zones], entries, observedGeneration: gen };
  }
  if (!EXTERNAL_TYPES.has(p.type)) {
    return { conditions: [condition('Ready', false, 'ProviderTypeUnsupported', `provider type ${p.type} is not supported by this version`, gen)], zones: [], entries, observedGeneration: gen };
  }
  const report = f.providers.zoneReport(p.name);
  if (!report) return !f.providers.awaitingPass(p.name) ? { conditions: [condition('Ready', 'Unknown', 'Pending', 'not read yet', gen)], zones: [], entries, observedGeneration: gen } : undefined;
  if (report.error !== undefined) return { conditions: [condition('Ready', false, 'ProviderError', report.error, gen)], zones: [], entries, observedGeneration: gen };
  const zones = (report.zones ?? []).map((z) => `${z.name} (${z.id}${z.private ? ', private' : ''})`);
  return {
    conditions: [
      zones.length > 0
        ? condition('Ready', true, Object.keys(report.notes ?? {}).length > 0 ? 'UpsertOnly' : 'Ready', `${zones.length} zone${zones.length === 1 ? '' : 's'} found${upsertOnlyNote(report.notes)}`, gen)
        : condition('Ready', false, 'NoZones', 'no hosted zone matches the settings', gen),
    ],
    zones,
    entries,
    observedGeneration: gen,
  };
}

function condition(type: string, ok: boolean | 'Unknown', reason: string, message: string, observedGeneration: number): ConditionUpdate {
  return { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message, observedGeneration };
}

/** `st` with its Ready condition saying why the provider's deletion waits, when it does. */
function withDeletionBlocked(st: ProviderStatusUpdate, blocked: string | undefined, generation: number): ProviderStatusUpdate {
  if (blocked === undefined) return st;
  const others = (st.conditions ?? []).filter((c) => c.type !== 'Ready');
  return { ...st, conditions: [condition('Ready', false, 'DeletionBlocked', blocked, generation), ...others] };
}

/** '; upsert-only in example.org (zone transfer REFUSED): records are written, never deleted' */
function upsertOnlyNote(notes: Record<string, string> | undefined): string {
  const parts = Object.entries(notes ?? {}).map(([zone, why]) => `${zone} (${why})`);
  return parts.length === 0 ? '' : `; upsert-only in ${parts.join(', ')}: records are written, never deleted`;
}

function splitResource(resource: string): { namespace: string; name: string } {
  const i = resource.indexOf('/');
  return { namespace: resource.slice(0, i), name: resource.slice(i + 1) };
}

/** `cluster/namespace/kind/name` (namespace may not hold a slash, names neither). */
function parseEndpointKey(key: string): { cluster: string; namespace: string; kind: string; name: string } {
  const [cluster = '', namespace = '', kind = '', ...rest] = key.split('/');
  return { cluster, namespace, kind, name: rest.join('/') };
}

function sorted<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)].sort();
}
