import { systemClock, type Clock, type Logger, type TimerHandle } from '../kernel/index.js';
import type { GlobalDnsEntry } from '../model/index.js';
import { PROVIDER_FINALIZER } from '../sources/index.js';
import type { ManagementView, ManagementWriter } from '../sources/index.js';
import { findEntry, indexEntries, mergeEntries } from '../planner/index.js';
import type { NameHealth } from '../planner/index.js';
import type { DesiredState } from '../desired/index.js';
import type { Controller } from './controller.js';
import type { EntrySyncStatus } from './external.js';
import { healthEvent } from './health-events.js';
import type { Leadership, ProviderRuntime } from './provider-runtime.js';
import { resourceStatuses } from './resource-status.js';
import type { StatusFacts } from './resource-status.js';

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
  /** Each checked name's health as last planned: the baseline of its next health Event. */
  private readonly lastHealth = new Map<string, NameHealth>();
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
    // Health changes from here on are news; what was planned before is the baseline.
    for (const n of this.opts.desired.names()) {
      const h = this.opts.desired.get(n)?.health;
      if (h) this.lastHealth.set(n, h);
    }
    this.unsubscribe.push(this.opts.desired.onChange((names) => {
      this.healthEvents(names);
      this.statusSoon();
    }));
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

  // ---- health Events ----

  /**
   * One Event per re-planned name whose answer changed with its endpoints' health
   * (`healthEvent`), on the GlobalDNS resource governing it; the leader records them. Every
   * replica keeps the baseline, so a new leader reports changes from its first plan on,
   * not what happened before it led.
   */
  private healthEvents(names: ReadonlySet<string>): void {
    const { desired } = this.opts;
    for (const n of names) {
      const state = desired.get(n);
      const next = state?.health;
      const prev = this.lastHealth.get(n);
      if (next) this.lastHealth.set(n, next);
      else this.lastHealth.delete(n);
      const ev = healthEvent(n, prev, next, (a) => desired.verdictOf(n, a)?.last?.reason);
      if (!ev || !this.opts.leadership.isLeader() || this.stopped) continue;
      this.opts.logger.info({ fqdn: n, reason: ev.reason }, `management: ${ev.message}`);
      const resource = this.view.entries.find((e) => e.fqdn === state?.entry?.fqdn);
      // A YAML entry has no resource to hang the Event on: the log line and the metrics say it.
      if (!resource) continue;
      void this.opts.writer.recordEvent({ kind: 'GlobalDNS', namespace: resource.namespace, name: resource.name }, ev.type, ev.reason, ev.message);
    }
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
    const facts: StatusFacts = { ...this.opts, view: this.view, deletionBlocked: (p) => this.deletionBlocked(p) };
    const { writes, waiting, again: retry } = resourceStatuses(facts);
    let again = retry;
    const live = new Set(waiting);
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
}
