import { systemClock, type Clock, type Logger, type TimerHandle } from '../kernel/index.js';
import type { GlobalDnsEntry } from '../model/index.js';
import { PROVIDER_FINALIZER } from '../sources/index.js';
import type { ConditionUpdate, EntryStatusUpdate, ManagedProvider, ManagementView, ManagementWriter, ProviderStatusUpdate, ResourceProblem } from '../sources/index.js';
import type { CrdEntry } from '../config/index.js';
import { findEntry, indexEntries, mergeEntries, projectMatches } from '../planner/index.js';
import type { DesiredState } from '../desired/index.js';
import type { Controller } from './controller.js';
import type { EntrySyncStatus } from './external.js';
import { EXTERNAL_TYPES } from './provider-runtime.js';
import type { Leadership, ProviderRuntime } from './provider-runtime.js';

export interface ManagementRuntimeOptions {
  /** Statuses, Events and finalizers go back through it (leader only). */
  writer: ManagementWriter;
  leadership: Leadership;
  /** The desired-state stage: what every name publishes, and which claims count. */
  desired: DesiredState;
  /** The embedded-zone controller; gets every entry of an embedded provider. */
  embedded: Controller;
  /** Entries of the YAML config, published alongside the resources. */
  staticEntries: readonly GlobalDnsEntry[];
  /** Names of the YAML config's embedded providers. */
  staticEmbedded: readonly string[];
  /** The owner of the external providers (the YAML config's and the resources'), shared with standalone's wiring. */
  providers: ProviderRuntime;
  /** Clusters globaldns watches: a target naming another is reported on the entry. */
  clusters: readonly string[];
  /**
   * The Rancher project ids a watched cluster's namespaces carry, or undefined while unknown
   * (not listed yet, or a folder cluster): a target project no namespace carries is reported
   * on the entry. Call `projectsChanged()` when a set changes.
   */
  projectsOf?: (cluster: string) => ReadonlySet<string> | undefined;
  /** Apexes of the embedded zones. */
  zones: readonly string[];
  /** Whether the embedded server answers `fqdn` with address records now. */
  embeddedHolds: (fqdn: string) => boolean;
  logger: Logger;
  /** Quiet time before statuses are computed and written (default 250 ms). */
  statusDebounceMs?: number;
  /** Timers of the status debounce and of the status and finalizer retries (default systemClock). */
  clock?: Clock;
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

/**
 * Management-cluster mode: entries and providers come from GlobalDNS / GlobalDNSProvider
 * resources (plus the YAML ones). Each view of them re-targets the embedded controller and
 * updates or rebuilds the external one; the leader alone writes to external providers (through
 * the elector's `guard`) and writes statuses and Events back. Every replica serves the
 * embedded zones.
 */
export class ManagementRuntime {
  private readonly opts: ManagementRuntimeOptions;
  private view: ManagementView = { entries: [], providers: [], problems: [] };
  private reconciling: Promise<void> = Promise.resolve();
  private reconcileQueued = false;
  private started = false;
  private stopped = false;
  /** Statuses written, by resource key, so an unchanged one is not written again. */
  private readonly written = new Map<string, string>();
  /** Warning Events raised, by name, so each is raised once per change of state. */
  private readonly warned = new Map<string, string>();
  private statusTimer?: TimerHandle;
  private statusRunning: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void)[] = [];
  private readonly entryListeners = new Set<(entries: GlobalDnsEntry[]) => void>();
  private entriesSent = '';

  private readonly clock: Clock;

  constructor(opts: ManagementRuntimeOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  /** The source's change listener. */
  onView(view: ManagementView): void {
    this.view = view;
    if (this.stopped) return;
    this.opts.embedded.setEntries(this.embeddedEntries());
    this.tellEntries();
    if (this.started) this.reconcile();
    this.statusSoon();
  }

  /**
   * Starts the external side; call once the clusters have been read (a plan from a half-read
   * fleet would delete the records of the clusters not read yet).
   */
  async start(): Promise<void> {
    this.started = true;
    this.unsubscribe.push(this.opts.desired.onChange(() => this.statusSoon()));
    this.unsubscribe.push(this.opts.providers.onChange((st) => {
      if (st) this.warn(st);
      this.statusSoon();
    }));
    this.reconcile();
    await this.reconciling;
    // Each provider's first pass runs on its own queue; none is awaited (each reports its end).
    void this.opts.providers.start();
    this.statusSoon();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.cancelStatusTimer();
    await this.reconciling;
    await this.statusRunning;
  }

  /** Leadership began: re-read the providers (the old leader wrote meanwhile) and write what is due. */
  leadershipStarted(): void {
    this.written.clear();
    this.warned.clear();
    if (!this.started || this.stopped) return;
    // Statuses that wait on no provider (embedded entries, problems) are written now.
    this.statusSoon();
    this.reconciling = this.reconciling.then(async () => {
      // Each provider re-reads on its own queue and reports its end; not awaited here.
      this.opts.providers.leadershipStarted();
      // A deleted provider's flush is queued behind its own resync.
      await this.reconcileFinalizers();
      this.statusSoon();
    });
  }

  /** The projects of some cluster changed: entries naming projects are looked at again. */
  projectsChanged(): void {
    this.statusSoon();
  }

  leadershipStopped(): void {
    this.opts.providers.leadershipStopped();
    this.cancelStatusTimer();
  }

  /**
   * Drops a debounced status write. The handle is forgotten too: `statusSoon` takes a handle
   * for "already scheduled", so a cleared but remembered one silenced every later status.
   */
  private cancelStatusTimer(): void {
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
  }

  /** Every entry: the YAML ones, then the resources' (a name the YAML has stays the YAML's). */
  /** Read-only, for metrics and the status page: every entry (YAML and resources) as merged now. */
  entries(): GlobalDnsEntry[] {
    return this.allEntries();
  }

  /**
   * Calls `listener` with every entry now, and again whenever the merged entries change (the
   * bundled proxy's routes and certificates follow the resources). Returns the unsubscribe.
   */
  onEntries(listener: (entries: GlobalDnsEntry[]) => void): () => void {
    this.entryListeners.add(listener);
    listener(this.allEntries());
    return () => this.entryListeners.delete(listener);
  }

  private tellEntries(): void {
    if (this.entryListeners.size === 0) return;
    const entries = this.allEntries();
    // Views also change with statuses and providers; the listeners only hear of entry changes.
    const key = JSON.stringify(entries);
    if (key === this.entriesSent) return;
    this.entriesSent = key;
    for (const l of this.entryListeners) l(entries);
  }

  private allEntries(): GlobalDnsEntry[] {
    return mergeEntries(this.opts.staticEntries, this.view.entries);
  }

  private embeddedEntries(): GlobalDnsEntry[] {
    const embedded = new Set([...this.opts.staticEmbedded, ...this.view.providers.filter((p) => p.type === 'embedded').map((p) => p.name)]);
    return this.allEntries().filter((e) => embedded.has(e.provider));
  }

  // ---- provider finalizers ----

  /** What still uses a provider: GlobalDNS resources (valid or not) and YAML entries naming it. */
  private usersOf(provider: string): string[] {
    const own = new Set([...this.opts.providers.staticNames(), ...this.opts.staticEmbedded]);
    const resources = (this.view.lifecycle ?? []).find((l) => l.name === provider)?.usedBy ?? [];
    const yaml = own.has(provider) ? [] : this.opts.staticEntries.filter((e) => e.provider === provider).map((e) => `config entry ${e.fqdn}`);
    return [...resources.map((r) => `GlobalDNS ${r}`), ...yaml];
  }

  /** A deleted provider some entry still uses: why its deletion waits. */
  private deletionBlocked(provider: string): string | undefined {
    const l = (this.view.lifecycle ?? []).find((x) => x.name === provider);
    if (!l?.deleting) return undefined;
    const users = this.usersOf(provider);
    if (users.length === 0) return undefined;
    return `deletion blocked: still used by ${users.join(', ')}; delete ${users.length === 1 ? 'it' : 'them'} or point ${users.length === 1 ? 'it' : 'them'} at another provider, and the deletion completes`;
  }

  /**
   * The leader keeps \`${PROVIDER_FINALIZER}\` on every GlobalDNSProvider, and takes it off a
   * deleted one once no entry uses it (after applying what is pending, so the records of its
   * last entries are deleted while the provider still exists).
   */
  private async reconcileFinalizers(): Promise<void> {
    if (!this.opts.leadership.isLeader() || this.stopped) return;
    let failed = false;
    for (const l of this.view.lifecycle ?? []) {
      try {
        if (!l.deleting && !l.finalized) {
          await this.opts.leadership.guard(() => this.opts.writer.setProviderFinalizer(l.name, PROVIDER_FINALIZER, true));
        } else if (l.deleting && l.finalized && this.usersOf(l.name).length === 0) {
          await this.opts.providers.flush(l.name);
          if (!this.opts.leadership.isLeader() || this.stopped) return;
          await this.opts.leadership.guard(() => this.opts.writer.setProviderFinalizer(l.name, PROVIDER_FINALIZER, false));
          this.opts.logger.info({ provider: l.name }, `management: GlobalDNSProvider ${l.name} is no longer used; its deletion completes`);
        }
      } catch (e) {
        failed = true;
        this.opts.logger.warn({ provider: l.name, err: (e as Error).message }, 'management: provider finalizer not updated; retrying');
      }
    }
    if (failed && !this.stopped) this.clock.setTimeout(() => this.reconcile(), 1000);
  }

  // ---- external providers ----

  /** Coalesces views: one reconciliation at a time, the latest view wins. */
  private reconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    this.reconciling = this.reconciling.then(async () => {
      this.reconcileQueued = false;
      if (this.stopped) return;
      try {
        await this.reconcileNow();
      } catch (e) {
        this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'management: updating the external providers failed');
      }
      await this.reconcileFinalizers();
      this.statusSoon();
    });
  }

  /** Brings the external providers to the view's GlobalDNSProvider resources (`ProviderRuntime.setManaged`). */
  private async reconcileNow(): Promise<void> {
    await this.opts.providers.setManaged(this.view.providers);
  }

  /** A Warning Event on the entry for failed changes and conflicts, once per change of state. */
  private warn(st: EntrySyncStatus): void {
    const before = this.warned.get(st.fqdn);
    const now = st.reason === 'ApplyFailed' || st.reason === 'Conflict' ? `${st.reason}: ${st.message}` : undefined;
    if (now === undefined) {
      this.warned.delete(st.fqdn);
      return;
    }
    if (before === now || !this.opts.leadership.isLeader()) return;
    this.warned.set(st.fqdn, now);
    const entry = this.view.entries.find((e) => findEntry(st.fqdn, indexEntries([e])) !== undefined);
    if (!entry) return;
    void this.opts.writer.recordEvent(
      { kind: 'GlobalDNS', namespace: entry.namespace, name: entry.name },
      'Warning',
      st.reason === 'Conflict' ? 'RecordConflict' : 'ChangeFailed',
      `${st.fqdn} at ${st.provider}: ${st.message}`,
    );
  }

  // ---- statuses ----

  private statusSoon(): void {
    if (!this.started || this.stopped || this.statusTimer) return;
    // Held open, as before: a status write is due (stop() cancels it).
    this.statusTimer = this.clock.setTimeout(
      () => {
        this.statusTimer = undefined;
        this.statusRunning = this.statusRunning.then(() => this.writeStatuses()).catch((e: unknown) => {
          this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'management: status write-back failed');
        });
      },
      this.opts.statusDebounceMs ?? 250,
      { keepAlive: true },
    );
  }

  private async writeStatuses(): Promise<void> {
    if (!this.opts.leadership.isLeader() || this.stopped) return;
    let again = false;
    const live = new Set<string>();
    const writes: { key: string; kind: 'GlobalDNS' | 'GlobalDNSProvider'; namespace?: string; name: string; status: EntryStatusUpdate | ProviderStatusUpdate }[] = [];
    // Claimed names by the entry governing them (its fqdn), once for all entries.
    const namesOf = new Map<string, string[]>();
    for (const n of this.opts.desired.names()) {
      const e = this.opts.desired.get(n)?.entry;
      if (e) namesOf.set(e.fqdn, [...(namesOf.get(e.fqdn) ?? []), n]);
    }
    for (const entry of this.view.entries) {
      const st = this.entryStatus(entry, namesOf.get(entry.fqdn) ?? []);
      if (st === 'pending') {
        again = true;
        live.add(`GlobalDNS ${entry.resource}`);
        continue;
      }
      if (st.retry) again = true;
      writes.push({ key: `GlobalDNS ${entry.resource}`, kind: 'GlobalDNS', namespace: entry.namespace, name: entry.name, status: st.status });
    }
    for (const p of this.view.problems) {
      if (p.kind === 'GlobalDNS') {
        const { namespace, name } = splitResource(p.resource);
        writes.push({ key: `GlobalDNS ${p.resource}`, kind: 'GlobalDNS', namespace, name, status: this.problemEntryStatus(p) });
      }
    }
    for (const p of this.view.providers) {
      const blocked = this.deletionBlocked(p.name);
      const st = this.providerStatus(p) ?? (blocked === undefined ? undefined : { conditions: [], zones: [], entries: this.entriesOf(p.name), observedGeneration: p.generation });
      if (st === undefined) {
        again = true;
        live.add(`GlobalDNSProvider ${p.name}`);
        continue;
      }
      writes.push({ key: `GlobalDNSProvider ${p.name}`, kind: 'GlobalDNSProvider', name: p.name, status: withDeletionBlocked(st, blocked, p.generation) });
    }
    const problemProviders = new Map<string, ResourceProblem[]>();
    for (const p of this.view.problems) if (p.kind === 'GlobalDNSProvider') problemProviders.set(p.resource, [...(problemProviders.get(p.resource) ?? []), p]);
    for (const [name, problems] of problemProviders) {
      const gen = problems[0]?.generation ?? 0;
      const message = problems.map((p) => p.message).join('; ');
      const reason = /Secret .* (not found|has no)/.test(message) ? 'SecretNotUsable' : 'InvalidSpec';
      writes.push({
        key: `GlobalDNSProvider ${name}`,
        kind: 'GlobalDNSProvider',
        name,
        status: withDeletionBlocked({ conditions: [condition('Ready', false, reason, message, gen)], zones: [], entries: this.entriesOf(name), observedGeneration: gen }, this.deletionBlocked(name), gen),
      });
    }

    for (const w of writes) {
      live.add(w.key);
      const text = JSON.stringify(w.status);
      if (this.written.get(w.key) === text) continue;
      if (!this.opts.leadership.isLeader() || this.stopped) return;
      try {
        await this.opts.leadership.guard(() => this.opts.writer.writeStatus(w.kind, w.namespace, w.name, w.status));
        this.written.set(w.key, text);
      } catch (e) {
        again = true;
        this.opts.logger.warn({ resource: w.key, err: (e as Error).message }, 'management: status not written; retrying');
      }
    }
    for (const k of this.written.keys()) if (!live.has(k)) this.written.delete(k);
    if (again && !this.stopped) this.clock.setTimeout(() => this.statusSoon(), 500);
  }

  /** The provider is bound and has not finished a pass since this replica leads: its statuses wait. */
  private awaitingPass(provider: string): boolean {
    return this.opts.providers.awaitingPass(provider);
  }

  private entriesOf(provider: string): number {
    return this.view.entries.filter((e) => e.provider === provider).length;
  }

  private problemEntryStatus(p: ResourceProblem): EntryStatusUpdate {
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
  private entryStatus(entry: CrdEntry, names: readonly string[]): { status: EntryStatusUpdate; retry: boolean } | 'pending' {
    const gen = entry.generation;
    const clusterEndpoints: Record<string, string[]> = {};
    const endpoints: string[] = [];
    const rejectedClaims: EntryStatusUpdate['rejectedClaims'] = [];
    const published: string[] = [];
    for (const name of names) {
      const state = this.opts.desired.get(name);
      if (!state) continue;
      for (const e of state.accepted) clusterEndpoints[e.cluster] = sorted([...(clusterEndpoints[e.cluster] ?? []), ...this.opts.desired.addresses(e)]);
      for (const r of state.records) endpoints.push(...r.values);
      if (state.records.length > 0) published.push(name);
      for (const r of state.rejected) rejectedClaims.push({ ...parseEndpointKey(r.key), reason: r.reason });
    }

    const provider = this.view.providers.find((p) => p.name === entry.provider);
    let providerReady: ConditionUpdate;
    let synced: ConditionUpdate;
    let retry = false;
    if (!provider) {
      providerReady = condition('ProviderReady', false, 'ProviderNotFound', `no GlobalDNSProvider "${entry.provider}"`, gen);
    } else if (provider.type === 'embedded') {
      const apex = this.opts.zones.find((z) => entry.fqdn === z || entry.fqdn.endsWith(`.${z}`));
      providerReady = apex === undefined
        ? condition('ProviderReady', false, 'NoZone', `no zone of the embedded server holds ${entry.fqdn} (zones: ${this.opts.zones.join(', ') || 'none'})`, gen)
        : condition('ProviderReady', true, 'ZoneFound', `served by the embedded server in zone ${apex}`, gen);
    } else if (!EXTERNAL_TYPES.has(provider.type)) {
      providerReady = condition('ProviderReady', false, 'ProviderTypeUnsupported', `provider type ${provider.type} is not supported by this version`, gen);
    } else {
      const report = this.opts.providers.zoneReport(provider.name);
      if (!report || !this.opts.providers.isBound(provider.name)) {
        if (this.awaitingPass(provider.name)) return 'pending';
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
      const missing = published.filter((n) => !this.opts.embeddedHolds(n));
      if (missing.length > 0) retry = true;
      synced = missing.length === 0
        ? condition('RecordsSynced', true, 'Synced', `${published.length} name${published.length === 1 ? '' : 's'} served by the embedded server`, gen)
        : condition('RecordsSynced', false, 'Pending', `not served yet: ${missing.join(', ')}`, gen);
    } else {
      const reports = this.opts.providers.syncsOf(entry.provider);
      const states = published.map((n) => reports.get(n));
      const bad = states.filter((s): s is EntrySyncStatus => s !== undefined && !s.synced && s.reason !== 'NotLeader');
      if (bad.length > 0) {
        const first = bad.find((s) => s.reason === 'Conflict') ?? bad[0];
        synced = condition('RecordsSynced', false, first.reason, bad.map((s) => `${s.fqdn}: ${s.message}`).join('; '), gen);
      } else if (states.every((s) => s?.synced === true)) {
        synced = condition('RecordsSynced', true, 'Synced', states.map((s) => `${s?.fqdn}: ${s?.message}`).join('; '), gen);
      } else {
        // Changes are on their way: leave the status as it was rather than flap through Pending.
        if (this.awaitingPass(entry.provider)) return 'pending';
        retry = true;
        synced = condition('RecordsSynced', false, 'Pending', 'changes are being applied', gen);
      }
    }

    const unknownTargets = entry.targets.flatMap((t, i) => (this.opts.clusters.includes(t.cluster) ? [] : [`spec.targets[${i}]: cluster ${t.cluster} is not watched by globaldns`]));
    const unknownProjects = entry.targets.flatMap((t, i) => {
      if (!t.projects || !this.opts.clusters.includes(t.cluster)) return [];
      const known = this.opts.projectsOf?.(t.cluster);
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
        rejectedClaims: rejectedClaims.sort((a, b) => `${a.cluster}/${a.namespace}/${a.kind}/${a.name}`.localeCompare(`${b.cluster}/${b.namespace}/${b.kind}/${b.name}`)),
        conditions: [ready, providerReady, synced],
        observedGeneration: gen,
      },
    };
  }

  private providerStatus(p: ManagedProvider): ProviderStatusUpdate | undefined {
    const gen = p.generation;
    const entries = this.entriesOf(p.name);
    if (p.type === 'embedded') {
      return { conditions: [condition('Ready', true, 'Ready', `the embedded server serves ${this.opts.zones.length} zone${this.opts.zones.length === 1 ? '' : 's'}`, gen)], zones: [...this.opts.zones], entries, observedGeneration: gen };
    }
    if (!EXTERNAL_TYPES.has(p.type)) {
      return { conditions: [condition('Ready', false, 'ProviderTypeUnsupported', `provider type ${p.type} is not supported by this version`, gen)], zones: [], entries, observedGeneration: gen };
    }
    const report = this.opts.providers.zoneReport(p.name);
    if (!report) return !this.awaitingPass(p.name) ? { conditions: [condition('Ready', 'Unknown', 'Pending', 'not read yet', gen)], zones: [], entries, observedGeneration: gen } : undefined;
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
}
