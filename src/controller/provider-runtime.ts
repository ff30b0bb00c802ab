import type { Logger } from '../kernel/index.js';
import type { Plan, RecordSet } from '../model/index.js';
import type { DesiredState } from '../desired/index.js';
import type { ManagedProvider } from '../sources/index.js';
import { ZoneNotListableError, type ApplyResult, type DnsProvider, type Zone } from '../../providers/provider.js';
import { decorate } from '../../providers/decorate.js';
import { FACTORY_TYPES } from '../../providers/registry.js';
import { ExternalController } from './external.js';
import type { EntrySyncStatus, ProviderBinding, ProviderSyncState } from './external.js';
import type { LeaderElector } from './leader/index.js';

/** What writers need of leader election: a fenced check and guarded writes. */
export type Leadership = Pick<LeaderElector, 'isLeader' | 'guard' | 'identity'>;

/** What a provider's last zone read said, for its status and its entries' ProviderReady. */
export interface ZoneReport {
  zones?: Zone[];
  error?: string;
  /** Zones written upsert-only because they cannot be listed, with why. */
  notes?: Record<string, string>;
}

/** Types written through a DnsProvider (everything but the embedded server): the registry's factories. */
export const EXTERNAL_TYPES: ReadonlySet<string> = new Set(FACTORY_TYPES);

export interface ProviderRuntimeOptions {
  desired: DesiredState;
  /** The YAML config's external providers, built (they never change while serve runs). */
  staticBindings: readonly ProviderBinding[];
  /** A provider for a GlobalDNSProvider resource (management mode). */
  makeProvider?: (p: ManagedProvider) => Promise<DnsProvider>;
  /** Management mode: only the leader writes, every write inside the elector's guard. Standalone: absent. */
  leadership?: Leadership;
  logger: Logger;
  sync: { debounceMs: number; maxDelayMs: number; resync: string | false };
  /** An entry's sync report, once per change of state (metrics count the failures). */
  onSyncStatus?: (st: EntrySyncStatus) => void;
}

/**
 * The one owner of provider lifecycles and of the external controller, in both modes: the
 * YAML config's providers (standalone, and beside the resources in management mode) and the
 * GlobalDNSProvider resources' (`setManaged`). It builds a provider again only when its spec or
 * Secret changed, swaps only that binding in the controller, remembers what each provider's
 * zone reads said and each entry's last sync report, and logs a report once per change of
 * state. What it knows is read by the status page, /metrics and the management status writer;
 * it writes nothing but records.
 */
export class ProviderRuntime {
  private readonly opts: ProviderRuntimeOptions;
  private external?: ExternalController;
  /** Managed bindings by provider name, with the key (spec + Secret version) they were built for. */
  private built = new Map<string, { key: string; binding: ProviderBinding }>();
  private readonly staticBindings: ProviderBinding[];
  private bound = new Set<string>();
  private readonly zoneReports = new Map<string, ZoneReport>();
  /** Last sync report per provider, then per name. */
  private readonly syncs = new Map<string, Map<string, EntrySyncStatus>>();
  /** What was logged per provider and name, so a report is logged once per change of state. */
  private readonly logged = new Map<string, string>();
  /**
   * Providers whose full pass (read and sync) ended since this replica began to lead (or,
   * standalone, since start). Per provider: one that does not answer must not hold back the
   * statuses of the others.
   */
  private readonly passed = new Set<string>();
  private started = false;
  private readonly listeners = new Set<(st?: EntrySyncStatus) => void>();

  constructor(opts: ProviderRuntimeOptions) {
    this.opts = opts;
    this.staticBindings = opts.staticBindings.map((b) => ({ ...b, provider: this.watched(b.provider) }));
    this.bound = new Set(this.staticBindings.map((b) => b.name));
  }

  /**
   * Starts the external controller with the providers bound now (call once every cluster has
   * been read: a plan from a half-read fleet would delete the records of the clusters not read
   * yet). Resolves when every provider's first pass is done; management mode does not wait.
   */
  async start(): Promise<void> {
    this.started = true;
    await this.ensureController()?.start();
  }

  async stop(): Promise<void> {
    await this.external?.stop();
  }

  /**
   * Brings the providers to the resources: a provider is built again only when its spec or its
   * Secret (by resourceVersion: a rotation) changed, and the controller swaps only the bindings
   * that changed; the others keep their queues (an unreachable one is never re-read because
   * another provider came or went). Providers' passes are not awaited (`onChange` tells).
   */
  async setManaged(providers: readonly ManagedProvider[]): Promise<void> {
    const managed = providers.filter((p) => EXTERNAL_TYPES.has(p.type));
    const bindings: ProviderBinding[] = [...this.staticBindings];
    const built = new Map<string, { key: string; binding: ProviderBinding }>();
    let changed = false;
    for (const p of managed) {
      const key = JSON.stringify([p.spec, p.secret?.resourceVersion ?? '']);
      const before = this.built.get(p.name);
      if (before && before.key === key) {
        built.set(p.name, before);
        bindings.push(before.binding);
        continue;
      }
      // A new or changed provider: what the old one read and reported is not its.
      changed = true;
      this.forget(p.name);
      try {
        if (!this.opts.makeProvider) throw new Error('no provider factory for resources');
        const provider = await this.opts.makeProvider(p);
        const binding: ProviderBinding = { name: p.name, provider: this.watched(provider), ownerId: p.spec.ownerId, policy: p.spec.policy, adoptFrom: p.spec.adoptFrom };
        built.set(p.name, { key, binding });
        bindings.push(binding);
      } catch (e) {
        this.zoneReports.set(p.name, { error: (e as Error).message });
        this.opts.logger.error({ provider: p.name, err: (e as Error).message }, `management: provider ${p.name} cannot be built`);
      }
    }
    for (const name of this.built.keys()) {
      if (built.has(name)) continue;
      changed = true;
      this.forget(name);
    }
    this.built = built;
    this.bound = new Set(bindings.map((b) => b.name));
    if (this.external) {
      if (changed) this.opts.logger.info({ providers: bindings.map((b) => b.name) }, 'management: external providers updated');
      await this.external.setBindings(bindings);
      return;
    }
    if (!this.started) return;
    const external = this.ensureController();
    if (external) void external.start();
  }

  /** Leadership began: every provider re-reads on its own queue (the old leader wrote meanwhile); not awaited. */
  leadershipStarted(): void {
    this.passed.clear();
    void this.external?.resync();
  }

  leadershipStopped(): void {
    this.passed.clear();
  }

  /** Applies what is pending at one provider now (before its deletion completes). */
  async flush(provider: string): Promise<void> {
    if (this.external && this.bound.has(provider)) await this.external.flush(provider);
  }

  /**
   * Something a status depends on changed: a sync report (given), or a provider's pass.
   * Returns the unsubscribe.
   */
  onChange(listener: (st?: EntrySyncStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- read-only views ----

  /** Names of the YAML config's external providers. */
  staticNames(): string[] {
    return this.staticBindings.map((b) => b.name);
  }

  isBound(provider: string): boolean {
    return this.bound.has(provider);
  }

  /** The provider is bound and has not finished a pass since this replica leads: its statuses wait. */
  awaitingPass(provider: string): boolean {
    return this.bound.has(provider) && !this.passed.has(provider);
  }

  zoneReport(provider: string): ZoneReport | undefined {
    return this.zoneReports.get(provider);
  }

  /** The last sync report of each name at `provider`. */
  syncsOf(provider: string): ReadonlyMap<string, EntrySyncStatus> {
    return this.syncs.get(provider) ?? new Map<string, EntrySyncStatus>();
  }

  /** Every last sync report. */
  syncStatuses(): EntrySyncStatus[] {
    return [...this.syncs.values()].flatMap((byName) => [...byName.values()]);
  }

  /** The external providers' queues. */
  providerStates(): ProviderSyncState[] {
    return this.external?.providerStates() ?? [];
  }

  // ----

  private ensureController(): ExternalController | undefined {
    if (this.external) return this.external;
    const bindings = [...this.staticBindings, ...[...this.built.values()].map((b) => b.binding)];
    if (bindings.length === 0) return undefined;
    const { sync, leadership } = this.opts;
    this.external = new ExternalController({
      bindings,
      desired: this.opts.desired,
      logger: this.opts.logger,
      debounceMs: sync.debounceMs,
      maxDelayMs: sync.maxDelayMs,
      resync: sync.resync,
      ...(leadership ? { canWrite: () => leadership.isLeader() } : {}),
      onStatus: (st) => this.onStatus(st),
      onPass: (provider) => {
        if (!leadership || leadership.isLeader()) this.passed.add(provider);
        for (const l of this.listeners) l();
      },
    });
    return this.external;
  }

  private forget(provider: string): void {
    this.zoneReports.delete(provider);
    this.syncs.delete(provider);
    this.passed.delete(provider);
  }

  private onStatus(st: EntrySyncStatus): void {
    let byName = this.syncs.get(st.provider);
    if (!byName) this.syncs.set(st.provider, byName = new Map<string, EntrySyncStatus>());
    byName.set(st.fqdn, st);
    if (st.reason === 'NotLeader') return;
    // Logged and counted once per change of state, not per sync.
    const key = `${st.provider}/${st.fqdn}`;
    const said = `${st.reason}: ${st.message}`;
    if (this.logged.get(key) !== said) {
      this.logged.set(key, said);
      this.opts.onSyncStatus?.(st);
      if (st.synced) this.opts.logger.info({ fqdn: st.fqdn, provider: st.provider }, st.message);
      else this.opts.logger.warn({ fqdn: st.fqdn, provider: st.provider, reason: st.reason }, st.message);
    }
    for (const l of this.listeners) l(st);
  }

  /**
   * The provider as the controller sees it: zone reads are remembered for statuses, and in
   * management mode every write goes through the elector's guard (refused unless this replica
   * leads now). Only the calls it watches are wrapped: `aliasHostnames` and any other
   * capability are the inner provider's.
   */
  private watched(inner: DnsProvider): DnsProvider {
    const reports = this.zoneReports;
    const { leadership, logger: log } = this.opts;
    return decorate(inner, {
      async zones(signal?: AbortSignal): Promise<Zone[]> {
        try {
          const zones = await inner.zones(signal);
          reports.set(inner.name, { zones });
          return zones;
        } catch (e) {
          reports.set(inner.name, { error: (e as Error).message });
          throw e;
        }
      },
      async records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]> {
        try {
          return await inner.records(zone, signal);
        } catch (e) {
          // Written but not listed (RFC 2136 without AXFR): the provider's status says so.
          if (e instanceof ZoneNotListableError) {
            const r = reports.get(inner.name) ?? {};
            reports.set(inner.name, { ...r, notes: { ...r.notes, [zone.name]: e.message } });
          }
          throw e;
        }
      },
      apply: (zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> => {
        if (!leadership) return inner.apply(zone, plan, signal);
        // Cancelled when the controller stops and when this replica stops leading (the fence).
        return leadership.guard(async (leading) => {
          const changes = plan.creates.length + plan.updates.length + plan.deletes.length;
          // Logged per apply so that a test (or a person) can check that writers never overlap.
          log.info({ provider: inner.name, zone: zone.name, changes, identity: leadership.identity }, `writing as ${leadership.identity}`);
          try {
            return await inner.apply(zone, plan, signal ? AbortSignal.any([signal, leading]) : leading);
          } finally {
            log.info({ provider: inner.name, zone: zone.name, identity: leadership.identity }, `wrote as ${leadership.identity}`);
          }
        });
      },
    });
  }
}
