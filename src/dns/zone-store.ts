/**
 * The zones the embedded server answers from. Each zone is an immutable ZoneSnapshot swapped
 * in one assignment. The store owns SOA serials: a zone's serial grows on every change of its
 * content, and survives restarts through the state-directory snapshot.
 */
import { systemClock, type Clock, type Logger, type TimerHandle } from '../kernel/index.js';
import type { ZoneContent } from '../model/index.js';
import { normalizeName } from '../model/index.js';
import { readSnapshot, writeSnapshot } from './snapshot-file.js';
import { ZoneSnapshot, type NameChanges } from './zone.js';

export interface ZoneStoreOptions {
  /** Where zones.json is kept; no persistence without it. */
  stateDir?: string;
  /** Time (serials: `now()` as epoch milliseconds) and the persist timer; default systemClock. */
  clock?: Clock;
  /** Delay before a change is written to disk; changes within it are coalesced. */
  persistDelayMs?: number;
  logger?: Logger;
}

/** `apex` changed; `structural` when a zone was added or removed (names may move between zones). */
export type ZoneChangeListener = (apex: string, structural: boolean) => void;

export class ZoneStore {
  private readonly zones = new Map<string, ZoneSnapshot>();
  private readonly listeners: ZoneChangeListener[] = [];
  private readonly servfail = new Set<string>();
  private readonly clock: Clock;
  private persistTimer: TimerHandle | undefined;
  private persisting: Promise<void> = Promise.resolve();
  /** Length in labels of the deepest apex, so lookups stop walking early. */
  private maxApexLabels = 0;

  constructor(private readonly opts: ZoneStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Serves the zones of the last snapshot, if any, with their serials. */
  async load(): Promise<void> {
    if (!this.opts.stateDir) return;
    let zones: ZoneContent[];
    try {
      zones = await readSnapshot(this.opts.stateDir);
    } catch (err) {
      this.opts.logger?.error({ err: String(err) }, 'zone snapshot unreadable; starting without it');
      return;
    }
    for (const z of zones) {
      try {
        this.install(ZoneSnapshot.build({ ...z, apex: normalizeName(z.apex) }));
      } catch (err) {
        this.opts.logger?.error({ zone: z.apex, err: String(err) }, 'zone in snapshot skipped');
      }
    }
  }

  /**
   * Replaces a zone's content. Returns false when nothing changed (the serial stays). The serial
   * becomes max(previous + 1, content.soa.serial, unix time), so it only grows.
   */
  setZone(content: ZoneContent): boolean {
    const apex = normalizeName(content.apex);
    const previous = this.zones.get(apex);
    const now = Math.floor(this.clock.now() / 1000);
    const snapshot = ZoneSnapshot.build({ ...content, apex }, previous, (changed) => previous && !changed ? previous.serial : Math.max(previous ? previous.serial + 1 : 0, content.soa.serial, now));
    if (!snapshot.changed) return false;
    this.install(snapshot);
    return true;
  }

  /**
   * Replaces the record sets at a few names of a served zone (an empty list removes a name's
   * data), leaving the rest as it is. Costs O(names) plus one map copy, not a zone rebuild.
   * Returns false when nothing changed, and when the zone is not served (use setZone first).
   */
  patchZone(apex: string, changes: NameChanges): boolean {
    const previous = this.zones.get(normalizeName(apex));
    if (!previous) return false;
    const now = Math.floor(this.clock.now() / 1000);
    const snapshot = ZoneSnapshot.patch(previous, changes, (changed) => (changed ? Math.max(previous.serial + 1, now) : previous.serial));
    if (!snapshot.changed) return false;
    this.install(snapshot);
    return true;
  }

  removeZone(apex: string): void {
    const a = normalizeName(apex);
    if (!this.zones.delete(a)) return;
    this.recountApexLabels();
    this.emit(a, true);
    this.schedulePersist();
  }

  apexes(): string[] {
    return [...this.zones.keys()];
  }

  get(apex: string): ZoneSnapshot | undefined {
    return this.zones.get(normalizeName(apex));
  }

  /** The zone with the longest apex containing canonical `name`. */
  find(name: string): ZoneSnapshot | undefined {
    let n = name;
    // Skip labels deeper than any apex: they cannot be one.
    let labels = 1;
    for (let i = 0; i < n.length; i++) if (n.charCodeAt(i) === 0x2e) labels++;
    while (labels > this.maxApexLabels && n.length > 0) {
      const dot = n.indexOf('.');
      n = dot < 0 ? '' : n.slice(dot + 1);
      labels--;
    }
    for (;;) {
      const z = this.zones.get(n);
      if (z) return z;
      if (n.length === 0) return undefined;
      const dot = n.indexOf('.');
      n = dot < 0 ? '' : n.slice(dot + 1);
    }
  }

  /**
   * Marks a name whose endpoints are all down and whose entry asks for SERVFAIL: its address
   * queries are answered SERVFAIL while the zone keeps its records (secondaries, which cannot
   * say SERVFAIL for one name, serve them all). Not persisted: it is re-derived from health.
   */
  setServfail(name: string, on: boolean): void {
    const n = normalizeName(name);
    if (on === this.servfail.has(n)) return;
    if (on) this.servfail.add(n);
    else this.servfail.delete(n);
    const zone = this.find(n);
    this.emit(zone?.apex ?? '', zone === undefined);
  }

  /** Whether address queries for canonical `name` get SERVFAIL. */
  isServfail(name: string): boolean {
    return this.servfail.size > 0 && this.servfail.has(name);
  }

  onChange(listener: ZoneChangeListener): void {
    this.listeners.push(listener);
  }

  /** Writes the pending snapshot now. */
  async flush(): Promise<void> {
    if (this.persistTimer) {
      this.persistTimer.cancel();
      this.persistTimer = undefined;
      this.persist();
    }
    await this.persisting;
  }

  private install(snapshot: ZoneSnapshot): void {
    for (const problem of snapshot.problems) this.opts.logger?.warn({ zone: snapshot.apex, problem }, 'record skipped');
    const structural = !this.zones.has(snapshot.apex);
    this.zones.set(snapshot.apex, snapshot);
    if (structural) this.recountApexLabels();
    this.emit(snapshot.apex, structural);
    this.schedulePersist();
  }

  private emit(apex: string, structural: boolean): void {
    for (const l of this.listeners) l(apex, structural);
  }

  private recountApexLabels(): void {
    let max = 0;
    for (const apex of this.zones.keys()) max = Math.max(max, apex === '' ? 0 : apex.split('.').length);
    this.maxApexLabels = max;
  }

  private schedulePersist(): void {
    if (!this.opts.stateDir || this.persistTimer) return;
    // Not kept alive: a shutdown flushes it (flush()).
    this.persistTimer = this.clock.setTimeout(() => {
      this.persistTimer = undefined;
      this.persist();
    }, this.opts.persistDelayMs ?? 1000);
  }

  private persist(): void {
    const dir = this.opts.stateDir;
    if (!dir) return;
    const zones = [...this.zones.values()].map((z) => z.content());
    // Chained so two writes never interleave; a failed write is logged and retried on the next change.
    this.persisting = this.persisting
      .then(() => writeSnapshot(dir, zones))
      .catch((err: unknown) => this.opts.logger?.error({ err: String(err), stateDir: dir }, 'zone snapshot write failed'));
  }
}
