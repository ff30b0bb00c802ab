import { findZone } from '../model/index.js';
import type { GlobalDnsEntry, RecordSet, ZoneContent } from '../model/index.js';
import type { ZoneConfig } from '../config/index.js';
import { findEntry, indexEntries, mergeRecords, planName, targetHostnames, zoneContent } from '../planner/index.js';
import type { EntryIndex } from '../planner/index.js';
import type { EndpointStore } from '../sources/index.js';
import { HostnameResolver } from './resolver.js';

/** Where zones are published; the embedded DNS ZoneStore fits. */
export interface ZoneSink {
  setZone(content: ZoneContent): boolean;
  /** Replaces the record sets at a few names of a published zone; optional, for speed. */
  patchZone?(apex: string, changes: ReadonlyMap<string, readonly RecordSet[]>): boolean;
  removeZone(apex: string): void;
  apexes(): string[];
}

export interface ControllerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ControllerOptions {
  zones: readonly ZoneConfig[];
  /** Entries published by the embedded server. */
  entries: readonly GlobalDnsEntry[];
  store: EndpointStore;
  sink: ZoneSink;
  logger: ControllerLogger;
  resolver?: HostnameResolver;
  /** Coalescing window for store events; a folder re-read or a cluster re-list is one batch. */
  debounceMs?: number;
  /** How often load-balancer hostnames are looked up again. 0 turns it off. */
  resolveRefreshMs?: number;
  /**
   * The store was restored with the endpoints the snapshot zones were built from (each
   * unreachable cluster keeps them under the last-cluster rule): snapshot zones then follow
   * the store from the start, once everything in it has been planned. Without it they are
   * held until `ready()`, since a store still filling would replace the last answers with fewer.
   */
  storeRestored?: boolean;
}

/**
 * Store → planner → embedded zones. Store events name the touched hostnames; only those are
 * re-planned, and only the zones holding them are rebuilt and handed to the zone store.
 */
export class Controller {
  private readonly opts: ControllerOptions;
  private readonly resolver: HostnameResolver;
  private entries: EntryIndex;
  private readonly zonesByApex: Map<string, ZoneConfig>;
  /** Static records by zone, then by name: a patch needs those of the names it touches. */
  private readonly staticByName = new Map<string, Map<string, RecordSet[]>>();
  /** Zones published whole at least once since start: only those can be patched. */
  private readonly published = new Set<string>();
  /** Planned records by zone, then by name. */
  private readonly planned = new Map<string, Map<string, RecordSet[]>>();
  /** Which load-balancer hostnames each name's plan used, and the reverse, for refreshes. */
  private readonly lbByName = new Map<string, Set<string>>();
  private readonly namesByLb = new Map<string, Set<string>>();
  /** Rejections and shadowed sets already logged, so each is logged once while it lasts. */
  private readonly loggedRejections = new Map<string, Map<string, string>>();
  private readonly loggedShadowed = new Map<string, Set<string>>();
  /**
   * Zones served from the snapshot, not rebuilt until the store has been planned whole: at
   * start when it was restored, else once the sources have synced (`ready()`).
   */
  private readonly held = new Set<string>();
  private isReady = false;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.resolver =
      opts.resolver ??
      new HostnameResolver({ onError: (hostname, e) => opts.logger.warn({ hostname, err: e.message }, 'load-balancer hostname lookup failed') });
    this.entries = indexEntries(opts.entries);
    this.zonesByApex = new Map(opts.zones.map((z) => [z.apex, z]));
    for (const z of opts.zones) {
      const byName = new Map<string, RecordSet[]>();
      for (const r of z.records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
      this.staticByName.set(z.apex, byName);
    }
  }

  /**
   * Drops served zones the config no longer has, publishes configured zones that have no
   * snapshot (static records only, so they answer at once), and starts following the store.
   */
  start(): void {
    const { sink, logger } = this.opts;
    const served = new Set(sink.apexes());
    for (const apex of served) {
      if (!this.zonesByApex.has(apex)) {
        sink.removeZone(apex);
        logger.info({ zone: apex }, 'zone no longer configured; removed');
      }
    }
    for (const apex of this.zonesByApex.keys()) {
      if (served.has(apex)) this.held.add(apex);
      else this.publish(apex);
    }
    this.unsubscribe = this.opts.store.onChange((names) => this.enqueue(names));
    if (this.opts.storeRestored) {
      this.ready().catch((e: unknown) => logger.error({ err: (e as Error).stack ?? String(e) }, 'publishing the restored endpoints failed'));
    }
    const every = this.opts.resolveRefreshMs ?? 60_000;
    if (every > 0) {
      this.refreshTimer = setInterval(() => {
        this.work = this.work.then(() => this.refreshHostnames());
      }, every);
      this.refreshTimer.unref();
    }
  }

  /** The sources have listed everything once (or the store was restored, at start): plan every name and publish every zone. */
  async ready(): Promise<void> {
    this.enqueue(this.opts.store.names());
    await this.flush();
    this.isReady = true;
    this.held.clear();
    for (const apex of this.zonesByApex.keys()) this.publish(apex);
  }

  /**
   * Replaces the entries (management mode: GlobalDNS resources come and go) and re-plans every
   * name: the claimed ones, and those planned so far, whose records may have to go.
   */
  setEntries(entries: readonly GlobalDnsEntry[]): void {
    this.entries = indexEntries(entries);
    const names = new Set(this.opts.store.names());
    for (const zone of this.planned.values()) for (const name of zone.keys()) names.add(name);
    this.enqueue(names);
  }

  /** Runs pending work now and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.runPending();
    }
    await this.work;
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.timer = this.refreshTimer = undefined;
  }

  private enqueue(names: Iterable<string>): void {
    for (const n of names) this.pending.add(n);
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runPending();
    }, this.opts.debounceMs ?? 10);
  }

  private runPending(): void {
    const names = this.pending;
    this.pending = new Set();
    this.work = this.work.then(() => this.plan(names));
  }

  private async plan(names: ReadonlySet<string>): Promise<void> {
    const started = performance.now();
    try {
      const { store } = this.opts;
      const endpoints = new Map([...names].map((n) => [n, store.byName(n)]));
      await this.resolver.ensure(targetHostnames([...endpoints.values()].flat()));
      const dirty = new Map<string, Set<string>>();
      for (const [name, eps] of endpoints) {
        const apex = this.planOne(name, eps);
        if (apex === undefined) continue;
        let names = dirty.get(apex);
        if (!names) dirty.set(apex, (names = new Set()));
        names.add(name);
      }
      for (const [apex, changed] of dirty) this.publishNames(apex, changed);
      this.opts.logger.debug({ names: names.size, zones: dirty.size, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 'planned');
    } catch (e) {
      // A bug here must not stop the next batch, nor the process.
      this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'planning failed');
    }
  }

  /** Re-plans one name; returns the zone it changed, if any. */
  private planOne(name: string, endpoints: Parameters<typeof planName>[2]): string | undefined {
    const plan = planName(name, findEntry(name, this.entries), endpoints, this.resolver.resolved);
    this.logRejections(name, plan.rejected);
    this.indexLbHostnames(name, targetHostnames(endpoints));

    const apex = findZone(name, this.zonesByApex.keys());
    if (apex === undefined) return undefined; // not served here; the rejections above still count
    let zone = this.planned.get(apex);
    if (!zone) this.planned.set(apex, (zone = new Map()));
    const before = zone.get(name);
    if (plan.records.length === 0 && before === undefined) return undefined;
    if (plan.records.length === 0) zone.delete(name);
    else zone.set(name, plan.records);
    const staticRecords = this.zonesByApex.get(apex)?.records ?? [];
    this.logShadowed(name, mergeRecords(staticRecords, plan.records).shadowed);
    return apex;
  }

  private publish(apex: string): void {
    const zone = this.zonesByApex.get(apex);
    if (!zone || (this.held.has(apex) && !this.isReady)) return;
    const planned = [...(this.planned.get(apex)?.values() ?? [])].flat();
    const changed = this.opts.sink.setZone(zoneContent(zone, zone.records, planned));
    this.published.add(apex);
    if (changed) this.opts.logger.debug({ zone: apex, records: planned.length + zone.records.length }, 'zone updated');
  }

  /**
   * Publishes the data of a few names of a zone: a patch when the sink takes one (a change to
   * one name of a large zone then costs that name, not the zone), else the whole zone.
   */
  private publishNames(apex: string, names: ReadonlySet<string>): void {
    const { sink } = this.opts;
    if (!sink.patchZone || !this.published.has(apex)) return this.publish(apex);
    if (this.held.has(apex) && !this.isReady) return;
    const planned = this.planned.get(apex);
    const statics = this.staticByName.get(apex);
    const changes = new Map<string, RecordSet[]>();
    for (const name of names) {
      changes.set(name, mergeRecords(statics?.get(name) ?? [], planned?.get(name) ?? []).records);
    }
    if (sink.patchZone(apex, changes)) this.opts.logger.debug({ zone: apex, names: names.size }, 'zone patched');
  }

  private async refreshHostnames(): Promise<void> {
    try {
      const inUse = new Set(this.namesByLb.keys());
      this.resolver.retain(inUse);
      const changed = await this.resolver.refresh(inUse);
      const names = new Set<string>();
      for (const h of changed) for (const n of this.namesByLb.get(h) ?? []) names.add(n);
      if (names.size > 0) await this.plan(names);
    } catch (e) {
      this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'hostname refresh failed');
    }
  }

  private indexLbHostnames(name: string, hosts: Set<string>): void {
    for (const h of this.lbByName.get(name) ?? []) {
      const names = this.namesByLb.get(h);
      names?.delete(name);
      if (names?.size === 0) this.namesByLb.delete(h);
    }
    if (hosts.size === 0) {
      this.lbByName.delete(name);
      return;
    }
    this.lbByName.set(name, hosts);
    for (const h of hosts) {
      let names = this.namesByLb.get(h);
      if (!names) this.namesByLb.set(h, (names = new Set()));
      names.add(name);
    }
  }

  private logRejections(name: string, rejected: { key: string; reason: string }[]): void {
    const before = this.loggedRejections.get(name) ?? new Map<string, string>();
    const now = new Map<string, string>();
    for (const r of rejected) {
      now.set(r.key, r.reason);
      if (before.get(r.key) !== r.reason) this.opts.logger.warn({ fqdn: name, endpoint: r.key, reason: r.reason }, 'claim rejected');
    }
    if (now.size > 0) this.loggedRejections.set(name, now);
    else this.loggedRejections.delete(name);
  }

  private logShadowed(name: string, shadowed: RecordSet[]): void {
    const before = this.loggedShadowed.get(name) ?? new Set<string>();
    const now = new Set(shadowed.map((r) => r.type));
    for (const type of now) {
      if (!before.has(type)) this.opts.logger.warn({ fqdn: name, type }, 'planned records shadowed by static records of the zone');
    }
    if (now.size > 0) this.loggedShadowed.set(name, now);
    else this.loggedShadowed.delete(name);
  }
}
