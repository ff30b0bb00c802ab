import type { Logger } from '../kernel/index.js';
import { findZone } from '../model/index.js';
import type { GlobalDnsEntry, RecordSet, ZoneContent } from '../model/index.js';
import type { ZoneConfig } from '../config/index.js';
import { mergeRecords, zoneContent } from '../planner/index.js';
import type { DesiredState } from '../desired/index.js';

/** Where zones are published; the embedded DNS ZoneStore fits. */
export interface ZoneSink {
  setZone(content: ZoneContent): boolean;
  /** Replaces the record sets at a few names of a published zone; optional, for speed. */
  patchZone?(apex: string, changes: ReadonlyMap<string, readonly RecordSet[]>): boolean;
  removeZone(apex: string): void;
  apexes(): string[];
  /** Answers SERVFAIL for the address queries of a name (all endpoints down, `whenAllDown: servfail`); optional. */
  setServfail?(name: string, on: boolean): void;
}

export interface ControllerOptions {
  zones: readonly ZoneConfig[];
  /** Entries published by the embedded server (the others belong to external providers). */
  entries: readonly GlobalDnsEntry[];
  /** The desired-state stage: the one place records are planned. */
  desired: DesiredState;
  sink: ZoneSink;
  logger: Logger;
  /**
   * The store was restored with the endpoints the snapshot zones were built from (each
   * unreachable cluster keeps them under the last-cluster rule): snapshot zones then follow
   * the store from the start, once everything in it has been planned. Without it they are
   * held until `ready()`, since a store still filling would replace the last answers with fewer.
   */
  storeRestored?: boolean;
}

/**
 * Desired state → embedded zones. The stage names the names it re-planned; only those of the
 * embedded entries are looked at, and only the zones holding them are patched.
 */
export class Controller {
  private readonly opts: ControllerOptions;
  /** Fqdns of the entries this server publishes; another entry's names belong to a provider. */
  private mine: Set<string>;
  private readonly zonesByApex: Map<string, ZoneConfig>;
  /** Static records by zone, then by name: a patch needs those of the names it touches. */
  private readonly staticByName = new Map<string, Map<string, RecordSet[]>>();
  /** Zones published whole at least once since start: only those can be patched. */
  private readonly published = new Set<string>();
  /** Planned records by zone, then by name. */
  private readonly planned = new Map<string, Map<string, readonly RecordSet[]>>();
  /** Shadowed sets already logged, so each is logged once while it lasts. */
  private readonly loggedShadowed = new Map<string, Set<string>>();
  /**
   * Zones served from the snapshot, not rebuilt until the store has been planned whole: at
   * start when it was restored, else once the sources have synced (`ready()`).
   */
  private readonly held = new Set<string>();
  private isReady = false;
  private unsubscribe: (() => void) | undefined;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.mine = new Set(opts.entries.map((e) => e.fqdn));
    this.zonesByApex = new Map(opts.zones.map((z) => [z.apex, z]));
    for (const z of opts.zones) {
      const byName = new Map<string, RecordSet[]>();
      for (const r of z.records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
      this.staticByName.set(z.apex, byName);
    }
  }

  /**
   * Drops served zones the config no longer has, publishes configured zones that have no
   * snapshot (static records only, so they answer at once), and starts following the stage.
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
    this.unsubscribe = this.opts.desired.onChange((names) => this.apply(names));
    if (this.opts.storeRestored) {
      this.ready().catch((e: unknown) => logger.error({ err: (e as Error).stack ?? String(e) }, 'publishing the restored endpoints failed'));
    }
  }

  /** The sources have listed everything once (or the store was restored, at start): plan every name and publish every zone. */
  async ready(): Promise<void> {
    await this.opts.desired.flush();
    this.apply(new Set(this.opts.desired.names()));
    this.isReady = true;
    this.held.clear();
    for (const apex of this.zonesByApex.keys()) this.publish(apex);
  }

  /**
   * Replaces the entries this server publishes (management mode: GlobalDNS resources come and
   * go): every name planned so far and every claimed one is looked at again.
   */
  setEntries(entries: readonly GlobalDnsEntry[]): void {
    this.mine = new Set(entries.map((e) => e.fqdn));
    const names = new Set(this.opts.desired.names());
    for (const zone of this.planned.values()) for (const name of zone.keys()) names.add(name);
    this.apply(names);
  }

  /** Waits for the stage's pending work (whose changes reach the zones synchronously). */
  async flush(): Promise<void> {
    await this.opts.desired.flush();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private apply(names: ReadonlySet<string>): void {
    const dirty = new Map<string, Set<string>>();
    for (const name of names) {
      const apex = this.applyOne(name);
      if (apex === undefined) continue;
      let changed = dirty.get(apex);
      if (!changed) dirty.set(apex, changed = new Set());
      changed.add(name);
    }
    for (const [apex, changed] of dirty) this.publishNames(apex, changed);
  }

  /** Takes one name's records from the stage; returns the zone it changed, if any. */
  private applyOne(name: string): string | undefined {
    const apex = findZone(name, this.zonesByApex.keys());
    if (apex === undefined) return undefined; // not served here
    const state = this.opts.desired.get(name);
    const records = state?.entry && this.mine.has(state.entry.fqdn) ? state.records : [];
    this.opts.sink.setServfail?.(name, records.length > 0 && state?.health?.servfail === true);
    let zone = this.planned.get(apex);
    if (!zone) this.planned.set(apex, zone = new Map<string, RecordSet[]>());
    const before = zone.get(name);
    if (records.length === 0 && before === undefined) return undefined;
    if (records.length === 0) zone.delete(name);
    else zone.set(name, records);
    const staticRecords = this.zonesByApex.get(apex)?.records ?? [];
    this.logShadowed(name, mergeRecords(staticRecords, [...records]).shadowed);
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
      changes.set(name, mergeRecords(statics?.get(name) ?? [], [...(planned?.get(name) ?? [])]).records);
    }
    if (sink.patchZone(apex, changes)) this.opts.logger.debug({ zone: apex, names: names.size }, 'zone patched');
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
