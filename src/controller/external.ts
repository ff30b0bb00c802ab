import cron from 'node-cron';
import { findZone } from '../model/index.js';
import type { Plan, RecordSet } from '../model/index.js';
import { canonicalName, parseOwnershipName, plan as diff, recordSetKey } from '../planner/index.js';
import type { AliasHostnames, PlanConflict, Policy } from '../planner/index.js';
import type { DesiredState } from '../desired/index.js';
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';
import { describeChange, planChanges, ZoneNotListableError, type ChangeResult, type DnsProvider, type Zone } from '../../providers/provider.js';
import { backoffDelay, systemClock } from '../kernel/index.js';

/** An external provider as the controller drives it. */
export interface ProviderBinding {
  /** The name entries use in `provider`. */
  name: string;
  provider: DnsProvider;
  ownerId: string;
  policy: Policy;
  adoptFrom?: readonly string[];
  /**
   * Load-balancer hostnames the provider can alias (planned as `values: [hostname]`, not
   * flattened). Default: the provider's own `aliasHostnames`; none when it has none.
   */
  aliasHostnames?: AliasHostnames;
}

/** What the controller knows about one entry's records, for status and `globaldns plan`. */
export interface EntrySyncStatus {
  fqdn: string;
  provider: string;
  /** Everything desired for the name is in the provider. */
  synced: boolean;
  reason: 'Synced' | 'Pending' | 'NotLeader' | 'Conflict' | 'ApplyFailed' | 'NoZone' | 'ProviderError';
  message: string;
  conflicts: PlanConflict[];
}

export interface ExternalControllerOptions {
  bindings: readonly ProviderBinding[];
  /** The desired-state stage: names whose entry names a provider bound here are written there. */
  desired: DesiredState;
  logger: Logger;
  /** Quiet time before a batch is applied; events keep pushing it back up to `maxDelayMs`. */
  debounceMs?: number;
  maxDelayMs?: number;
  /** node-cron expression for the full resync (re-read the provider, repair drift); false: none. */
  resync?: string | false;
  /** Only the leader writes; others plan and wait. */
  canWrite?: () => boolean;
  /** Backoff for names whose changes failed. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  onStatus?: (status: EntrySyncStatus) => void;
  /**
   * A provider's full pass is done (its read and the sync after it: at start, on resync, when
   * its binding changed), whether it succeeded or not. Each provider reports its own: one that
   * does not answer never holds back another's.
   */
  onPass?: (provider: string) => void;
  /** Time and timers of the debounce, the maximum delay and the retry backoff (default systemClock; the timers keep the process alive). */
  clock?: Clock;
}

interface ProviderState {
  binding: ProviderBinding;
  /** The binding's alias capability, made once: the stage keeps a plan per capability. */
  alias?: AliasHostnames;
  zones?: Zone[];
  /** Last known content per zone id: read at start and resync, then kept up to date by applies. */
  current: Map<string, RecordSet[]>;
  dirty: Set<string>;
  /**
   * Zones whose last apply had failures: their cached content may be wrong (a change applied
   * whose answer was lost reads as a failure), so they are read again before the next diff.
   * Without this a lost answer turns into the same stale plan, rejected, retried, forever.
   */
  stale: Set<string>;
  /**
   * Zones the provider can write but not list (RFC 2136 without AXFR rights), with why: planned
   * against an empty current state under upsert-only, so nothing there is ever deleted.
   */
  unlistable: Map<string, string>;
  timer?: TimerHandle;
  firstDirtyAt?: number;
  running: Promise<void>;
  failures: number;
  retryTimer?: TimerHandle;
  /** Wall time (ms) the provider was last read, or written without a failure. */
  lastSyncAt?: number;
  lastError?: string;
  /** Replaced or removed by `setBindings`: nothing more is scheduled on it. */
  retired?: boolean;
  /** Aborted on stop and on retirement: cancels the provider calls in flight (and their retries). */
  abort: AbortController;
}

/** One provider's queue as metrics and the status page show it. */
export interface ProviderSyncState {
  provider: string;
  /** Names waiting to be applied (dirty), including those waiting for a retry. */
  pending: number;
  lastSyncAt?: number;
  lastError?: string;
}

/**
 * Store → planner → external providers. Like the embedded controller it re-plans only the
 * names a store event touched; then, per provider, the diff against the provider's last known
 * content (read at start and on each resync, not per change) is applied in one batch after a
 * quiet period. Failed changes are retried with backoff and reported per entry; they never
 * hold back the rest of a batch. Only the leader writes.
 */
export class ExternalController {
  private readonly opts: ExternalControllerOptions;
  private readonly clock: Clock;
  private readonly states = new Map<string, ProviderState>();
  /** Desired record sets per name (names of bound entries only). */
  private readonly desired = new Map<string, readonly RecordSet[]>();
  /** The provider each planned name is written to now: a name that moves is deleted at the old one. */
  private readonly providerOf = new Map<string, string>();
  private unsubscribe?: () => void;
  private cronTask?: { stop(): void | Promise<void> };
  private stopped = false;

  constructor(opts: ExternalControllerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    for (const binding of opts.bindings) this.states.set(binding.name, newState(binding));
  }

  /**
   * Plans every claimed name, starts following the desired state, and gives each provider its
   * first pass (read, then sync) on its own queue. Resolves once every provider's pass is
   * done; a caller that must not wait on the slowest provider need not await it (`onPass`
   * tells of each one).
   */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.desired.onChange((names) => void this.touch(names));
    if (this.opts.resync !== false) {
      const task = cron.schedule(this.opts.resync ?? '*/10 * * * *', () => this.resync(), { noOverlap: true });
      this.cronTask = task;
    }
    await this.opts.desired.flush();
    this.planNames(this.opts.desired.names());
    await Promise.all([...this.states.values()].map((s) => this.pass(s, false)));
  }

  /**
   * Replaces the providers (management mode: a provider was added, removed, or changed its
   * spec or Secret) and the entries. A binding given again as the same object keeps its state
   * and queue untouched; a new or changed one gets a fresh state whose first pass starts once
   * the replaced state's queue has drained, so two generations of one provider never write at
   * once. Resolves when the names are re-planned, not when the new providers' passes end.
   */
  async setBindings(bindings: readonly ProviderBinding[]): Promise<void> {
    const next = new Map(bindings.map((b) => [b.name, b]));
    const fresh: ProviderState[] = [];
    for (const [name, s] of this.states) {
      if (next.get(name) === s.binding) continue;
      this.retire(s);
      this.states.delete(name);
      const b = next.get(name);
      if (b) {
        const replacement = { ...newState(b), running: s.running };
        this.states.set(name, replacement);
        fresh.push(replacement);
      }
    }
    for (const b of bindings) {
      if (this.states.has(b.name)) continue;
      const s = newState(b);
      this.states.set(b.name, s);
      fresh.push(s);
    }
    // A name may now belong to a provider bound here, or to none: plan every name again.
    await this.settle();
    for (const s of this.planNames(new Set([...this.opts.desired.names(), ...this.providerOf.keys()]))) this.schedule(s);
    if (this.unsubscribe) { for (const s of fresh) void this.pass(s, false); }
  }

  /** The provider's full pass on its queue: read it, then sync its dirty names (or all of them). */
  private pass(s: ProviderState, whole: boolean): Promise<void> {
    return this.enqueue(s, async () => {
      try {
        await this.readProvider(s);
        if (whole) { for (const name of this.namesOf(s)) s.dirty.add(name); }
        await this.sync(s, whole);
      } finally {
        if (!this.stopped && !s.retired) this.opts.onPass?.(s.binding.name);
      }
    });
  }

  /** Runs `job` after what the provider's queue holds; one provider's queue never waits on another's. */
  private enqueue(s: ProviderState, job: () => Promise<void>): Promise<void> {
    s.running = s.running.then(job).catch((e: unknown) => {
      this.opts.logger.error({ provider: s.binding.name, err: (e as Error).stack ?? String(e) }, 'provider sync failed');
    });
    return s.running;
  }

  /**
   * Nothing more is scheduled on a state that was replaced or removed (or whose controller
   * stops), and its calls in flight are cancelled: a provider that does not answer then holds
   * neither a shutdown nor its replacement for longer than the cancellation takes.
   */
  private retire(s: ProviderState): void {
    s.retired = true;
    s.timer?.cancel();
    s.retryTimer?.cancel();
    s.abort.abort(new Error(`provider ${s.binding.name}: stopped`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.cronTask?.stop();
    for (const s of this.states.values()) this.retire(s);
    await Promise.all([...this.states.values()].map((s) => s.running));
  }

  /**
   * Waits until what the desired-state stage has pending (a store change, new entries) has
   * reached this controller's queues. Entries belong to the stage (`DesiredState.setEntries`);
   * a name whose entry is gone or moved to another provider is then deleted at its old one.
   */
  async settle(): Promise<void> {
    await this.opts.desired.flush();
  }

  /** Read-only view of each provider's queue. */
  providerStates(): ProviderSyncState[] {
    return [...this.states.values()].map((s) => ({ provider: s.binding.name, pending: s.dirty.size, lastSyncAt: s.lastSyncAt, lastError: s.lastError }));
  }

  /** Applies what is pending now (at one provider, or at all), without waiting for the debounce. */
  async flush(provider?: string): Promise<void> {
    await Promise.all([...this.states.values()].filter((s) => provider === undefined || s.binding.name === provider).map((s) => this.runNow(s)));
  }

  /** Re-reads every provider, each on its own queue, and plans the whole of each zone: repairs drift. */
  async resync(): Promise<void> {
    await Promise.all([...this.states.values()].map((s) => this.pass(s, true)));
  }

  /** The full plan per provider and zone against the provider's current content; applies nothing. */
  async dryRun(): Promise<{ provider: string; zone: Zone; plan: Plan; conflicts: PlanConflict[] }[]> {
    const out: { provider: string; zone: Zone; plan: Plan; conflicts: PlanConflict[] }[] = [];
    await this.opts.desired.flush();
    this.planNames(this.opts.desired.names());
    for (const s of this.states.values()) {
      await this.readProvider(s);
      for (const zone of s.zones ?? []) {
        const names = this.namesOf(s).filter((n) => findZone(n, [zone.name]) !== undefined);
        const { plan, conflicts } = this.diffZone(s, zone, names, false);
        out.push({ provider: s.binding.name, zone, plan, conflicts });
      }
    }
    return out;
  }

  private namesOf(s: ProviderState): string[] {
    return [...this.desired.keys()].filter((n) => this.providerOf.get(n) === s.binding.name);
  }

  private touch(names: Iterable<string>): void {
    for (const s of this.planNames(names)) this.schedule(s);
  }

  /**
   * Takes the names' records from the desired state into `desired` and marks them dirty at
   * their provider, and at the provider they were written to before when they moved (or
   * their entry went): the next batch there deletes what we wrote. Returns the providers concerned.
   */
  private planNames(names: Iterable<string>): Set<ProviderState> {
    const touched = new Set<ProviderState>();
    for (const name of names) {
      const entry = this.opts.desired.get(name)?.entry ?? this.opts.desired.entryFor(name);
      const s = entry && this.states.get(entry.provider);
      const before = this.providerOf.get(name);
      const old = before === undefined || before === s?.binding.name ? undefined : this.states.get(before);
      if (old) {
        old.dirty.add(name);
        touched.add(old);
      }
      if (!s) {
        this.providerOf.delete(name);
        this.desired.delete(name);
        continue;
      }
      const records = this.opts.desired.records(name, s.alias);
      this.providerOf.set(name, s.binding.name);
      if (records.length > 0) this.desired.set(name, records);
      else this.desired.delete(name);
      s.dirty.add(name);
      touched.add(s);
    }
    return touched;
  }

  private schedule(s: ProviderState): void {
    if (this.stopped || s.retired) return;
    const now = this.clock.now();
    s.firstDirtyAt ??= now;
    s.timer?.cancel();
    const quiet = this.opts.debounceMs ?? 200;
    const wait = Math.max(0, Math.min(quiet, s.firstDirtyAt + (this.opts.maxDelayMs ?? 1000) - now));
    s.timer = this.clock.setTimeout(() => void this.runNow(s), wait, { keepAlive: true });
  }

  private runNow(s: ProviderState, whole = false): Promise<void> {
    s.timer?.cancel();
    s.timer = undefined;
    s.firstDirtyAt = undefined;
    return this.enqueue(s, () => this.sync(s, whole));
  }

  private async readProvider(s: ProviderState): Promise<void> {
    const { provider } = s.binding;
    try {
      const zones = await provider.zones(s.abort.signal);
      const current = new Map<string, RecordSet[]>();
      for (const z of zones) current.set(z.id, await this.readZone(s, z));
      s.zones = zones;
      s.current = current;
      s.lastSyncAt = this.clock.now();
    } catch (e) {
      if (s.retired) return; // cancelled: stopping, or replaced
      s.lastError = `read: ${(e as Error).message}`;
      this.opts.logger.error({ provider: s.binding.name, err: (e as Error).message }, 'provider unreadable; keeping the last known state');
    }
  }

  /**
   * A zone's records; for a zone that cannot be listed, what this controller wrote there
   * itself (kept in `current` by absorb), so upserts stay idempotent across resyncs.
   */
  private async readZone(s: ProviderState, zone: Zone): Promise<RecordSet[]> {
    try {
      const records = await s.binding.provider.records(zone, s.abort.signal);
      s.unlistable.delete(zone.id);
      return records;
    } catch (e) {
      if (!(e instanceof ZoneNotListableError)) throw e;
      if (!s.unlistable.has(zone.id)) {
        this.opts.logger.warn({ provider: s.binding.name, zone: zone.name, err: e.message }, 'zone cannot be listed: upsert-only (records are written, never deleted)');
      }
      s.unlistable.set(zone.id, e.message);
      return s.current.get(zone.id) ?? [];
    }
  }

  /** Why a zone is written upsert-only, per zone name (for statuses). */
  upsertOnlyZones(provider: string): Map<string, string> {
    const s = this.states.get(provider);
    const out = new Map<string, string>();
    for (const [id, why] of s?.unlistable ?? []) out.set(s?.zones?.find((z) => z.id === id)?.name ?? id, why);
    return out;
  }

  private async sync(s: ProviderState, whole: boolean): Promise<void> {
    if (s.dirty.size === 0 || this.stopped || s.retired) return;
    const names = [...s.dirty];
    if (!s.zones) {
      await this.readProvider(s);
      if (!s.zones) {
        for (const n of names) this.report(s, n, { synced: false, reason: 'ProviderError', message: `provider ${s.binding.name} cannot be read: ${s.lastError?.replace(/^read: /, '') ?? 'unknown error'}`, conflicts: [] });
        this.retryLater(s);
        return;
      }
    }
    const byZone = new Map<Zone, string[]>();
    for (const name of names) {
      const apex = findZone(name, s.zones.map((z) => z.name));
      const zone = s.zones.find((z) => z.name === apex);
      if (!zone) {
        s.dirty.delete(name);
        this.report(s, name, { synced: false, reason: 'NoZone', message: `no zone of provider ${s.binding.name} holds ${name}`, conflicts: [] });
        continue;
      }
      byZone.set(zone, [...(byZone.get(zone) ?? []), name]);
    }
    if (this.opts.canWrite && !this.opts.canWrite()) {
      // A follower keeps its names dirty: when it leads, its first sync writes them.
      for (const n of names) this.report(s, n, { synced: false, reason: 'NotLeader', message: 'waiting to lead', conflicts: [] });
      return;
    }
    let failed = false;
    for (const [zone, zoneNames] of byZone) {
      if (s.stale.has(zone.id)) {
        try {
          s.current.set(zone.id, await this.readZone(s, zone));
          s.stale.delete(zone.id);
        } catch (e) {
          this.opts.logger.warn({ provider: s.binding.name, zone: zone.name, err: (e as Error).message }, 'zone unreadable; retrying later');
          failed = true;
          continue;
        }
      }
      const { plan, conflicts } = this.diffZone(s, zone, zoneNames, !whole);
      for (const n of zoneNames) s.dirty.delete(n);
      const changes = planChanges(plan);
      let results: ChangeResult[] = [];
      if (changes.length > 0) {
        try {
          results = (await s.binding.provider.apply(zone, plan, s.abort.signal)).results;
        } catch (e) {
          // The provider could not say what happened: every change counts as failed, and the
          // zone is read again before the retry.
          const error = (e as Error).message;
          results = changes.map((change) => ({ change, ok: false, error }));
        }
      }
      if (results.some((r) => !r.ok)) s.stale.add(zone.id);
      this.absorb(s, zone, results);
      const failedNames = new Set<string>();
      for (const r of results) {
        if (r.ok) continue;
        failed = true;
        const name = ownerOfChange(r, zoneNames);
        failedNames.add(name);
        s.dirty.add(name);
        s.lastError = `${describeChange(r.change)}: ${r.error ?? 'failed'}`;
        this.opts.logger.warn({ provider: s.binding.name, change: describeChange(r.change), err: r.error }, 'change failed; retrying');
      }
      for (const n of zoneNames) {
        const mine = conflicts.filter((c) => c.name === n);
        if (failedNames.has(n)) {
          const errors = results.filter((r) => !r.ok && ownerOfChange(r, zoneNames) === n).map((r) => r.error ?? 'failed');
          this.report(s, n, { synced: false, reason: 'ApplyFailed', message: errors.join('; '), conflicts: mine });
        } else if (mine.length > 0) {
          this.report(s, n, { synced: false, reason: 'Conflict', message: mine.map((c) => `${c.type}: ${c.reason}`).join('; '), conflicts: mine });
        } else {
          const why = s.unlistable.get(zone.id);
          const mode = why === undefined ? '' : ` (upsert-only: ${why})`;
          this.report(s, n, { synced: true, reason: 'Synced', message: `${this.desired.get(n)?.length ?? 0} record sets in ${zone.name}${mode}`, conflicts: [] });
        }
      }
    }
    if (failed) this.retryLater(s);
    else {
      s.failures = 0;
      s.lastSyncAt = this.clock.now();
    }
  }

  private diffZone(s: ProviderState, zone: Zone, names: string[], scoped: boolean) {
    // Only names this provider publishes now: a name that moved elsewhere is deleted here.
    const desired = names.flatMap((n) => (this.providerOf.get(n) === s.binding.name ? this.desired.get(n) ?? [] : []));
    return diff(desired, s.current.get(zone.id) ?? [], {
      ownerId: s.binding.ownerId,
      // Unlisted records cannot be proven ours: never delete there (create-only stays stricter).
      policy: s.unlistable.has(zone.id) && s.binding.policy === 'sync' ? 'upsert-only' : s.binding.policy,
      adoptFrom: s.binding.adoptFrom,
      managedNames: scoped ? new Set(names) : undefined,
      resourceOf: (r) => this.opts.desired.entryFor(r.name)?.fqdn ?? r.name,
    });
  }

  /** Folds applied changes into the last known content, so the next diff needs no read. */
  private absorb(s: ProviderState, zone: Zone, results: readonly ChangeResult[]): void {
    const byKey = new Map((s.current.get(zone.id) ?? []).map((r) => [recordSetKey(r), r]));
    for (const { change, ok } of results) {
      if (!ok) continue;
      if (change.action === 'create') byKey.set(recordSetKey(change.record), change.record);
      else if (change.action === 'update') {
        byKey.delete(recordSetKey(change.from));
        byKey.set(recordSetKey(change.to), change.to);
      } else byKey.delete(recordSetKey(change.record));
    }
    s.current.set(zone.id, [...byKey.values()]);
  }

  private retryLater(s: ProviderState): void {
    if (this.stopped || s.retired) return;
    s.failures++;
    const delay = backoffDelay(s.failures, { initialMs: this.opts.retryInitialMs ?? 1000, maxMs: this.opts.retryMaxMs ?? 60_000, jitter: 0.5 }, Math.random);
    s.retryTimer?.cancel();
    s.retryTimer = this.clock.setTimeout(() => void this.runNow(s), delay, { keepAlive: true });
  }

  private report(s: ProviderState, fqdn: string, st: Omit<EntrySyncStatus, 'fqdn' | 'provider'>): void {
    this.opts.onStatus?.({ fqdn, provider: s.binding.name, ...st });
  }
}

function newState(binding: ProviderBinding): ProviderState {
  return { binding, alias: aliasCapability(binding), current: new Map(), dirty: new Set(), stale: new Set(), unlistable: new Map(), running: Promise.resolve(), failures: 0, abort: new AbortController() };
}

/** The planned name a change belongs to (a companion's record name, or the record's own). */
function ownerOfChange(r: ChangeResult, names: readonly string[]): string {
  const rec = r.change.action === 'update' ? r.change.to : r.change.record;
  const name = canonicalName(rec.name);
  const owned = rec.type === 'TXT' ? parseOwnershipName(name)?.name : undefined;
  return names.find((n) => n === (owned ?? name)) ?? owned ?? name;
}

/** The binding's alias capability, else the provider's. */
function aliasCapability(b: ProviderBinding): AliasHostnames | undefined {
  if (b.aliasHostnames) return b.aliasHostnames;
  const own = b.provider.aliasHostnames;
  return own ? (h) => own.call(b.provider, h) : undefined;
}
