import type { EndpointHealth } from '../model/index.js';
import { monotonicNow, systemClock } from '../kernel/index.js';
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';
import type { HealthVerdicts, ProbeTarget } from './checker.js';
import { combine, nextExpiry } from './quorum.js';
import type { QuorumVerdict, Vantage } from './quorum.js';
import { hashKey, MAX_REPORT_VERDICTS } from './report.js';
import type { VantageReport } from './report.js';
import type { Verdict } from './verdict.js';

/** What QuorumVerdicts needs of this replica's checker (HealthChecker). */
export interface LocalVantage extends HealthVerdicts {
  keys(): Iterable<string>;
  target(key: string): ProbeTarget | undefined;
}

export interface QuorumVerdictsOptions {
  /** This replica's checker: its verdicts are the local vantage's. */
  local: LocalVantage;
  /** This replica's identity (its own published report, if read back, is ignored). */
  self: string;
  logger: Logger;
  clock?: Clock;
  /** Every combined transition (logs, metrics). */
  onTransition?: (target: ProbeTarget, from: Verdict, to: Verdict, vantages: QuorumVerdict) => void;
}

interface Combined {
  health: EndpointHealth;
  since: number;
  recovered: boolean;
  quorum: QuorumVerdict;
}

interface Remote {
  report: VantageReport;
  /** Monotonic clock milliseconds when this write of the report was received. */
  receivedAt: number;
  up: Set<string>;
  down: Set<string>;
}

/**
 * The health every replica agrees on: this replica's verdicts (the local checker) combined by
 * quorum (`combine`) with the latest reports of the other replicas. The combined verdict of a
 * key has its own `since` and `recovered` (set when the combined health changes), and changes
 * at most once per `failureThreshold × interval` like a local one does, so reports arriving
 * one after another cannot make it flap. `onChange` fires only for keys whose combined health
 * changed. Re-evaluated when a local verdict changes, a report arrives or goes, and when a
 * report stops being fresh (a timer).
 */
export class QuorumVerdicts implements HealthVerdicts {
  private readonly opts: QuorumVerdictsOptions;
  private readonly clock: Clock;
  private readonly remotes = new Map<string, Remote>();
  private readonly combined = new Map<string, Combined>();
  private readonly hashes = new Map<string, string>();
  private readonly listeners = new Set<(keys: ReadonlySet<string>) => void>();
  private readonly unsubscribe: () => void;
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  private pending = false;
  private stopped = false;

  constructor(opts: QuorumVerdictsOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.unsubscribe = opts.local.onChange(() => this.evaluate());
  }

  want(owner: string, targets: readonly ProbeTarget[]): void {
    this.opts.local.want(owner, targets);
    // New keys get their combined verdict now (the stage reads it right after); the rest (a
    // dropped key can change whether this vantage looks cut off) a moment later, off the
    // stage's planning pass.
    for (const t of targets) if (!this.combined.has(t.key)) this.evaluateKey(t.key, this.localVantage(), this.remoteVantages(), false);
    this.evaluateSoon();
  }

  verdict(key: string): Verdict | undefined {
    const c = this.combined.get(key);
    if (!c) return undefined;
    const local = this.opts.local.verdict(key);
    return {
      health: c.health,
      since: c.since,
      recovered: c.recovered,
      successes: local?.successes ?? 0,
      failures: local?.failures ?? 0,
      ...(local?.last ? { last: local.last } : {}),
    };
  }

  /** Which vantages agree on a key's combined verdict, which do not, which are left out as cut off. */
  vantages(key: string): QuorumVerdict | undefined {
    return this.combined.get(key)?.quorum;
  }

  onChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Another replica's latest report (each call is one write of it: it is fresh from now). */
  report(r: VantageReport): void {
    if (r.vantage === this.opts.self) return;
    this.remotes.set(r.vantage, { report: r, receivedAt: monotonicNow(this.clock), up: new Set(r.up), down: new Set(r.down) });
    this.evaluate();
  }

  /** Another replica stopped publishing (its report was deleted). */
  forget(vantage: string): void {
    if (this.remotes.delete(vantage)) this.evaluate();
  }

  /** This replica's own report, to publish (`seq` is the publisher's). */
  localReport(): Omit<VantageReport, 'vantage' | 'seq'> {
    const up: string[] = [];
    const down: string[] = [];
    for (const key of this.opts.local.keys()) {
      const h = this.opts.local.verdict(key)?.health;
      if (h === 'healthy') up.push(this.hash(key));
      else if (h === 'unhealthy') down.push(this.hash(key));
    }
    const healthy = up.length;
    const unhealthy = down.length;
    // Bounded: the unhealthy verdicts are the ones that move a quorum.
    const keptDown = down.slice(0, MAX_REPORT_VERDICTS);
    const keptUp = up.slice(0, MAX_REPORT_VERDICTS - keptDown.length);
    return { healthy, unhealthy, up: keptUp, down: keptDown };
  }

  /** The shortest interval of the keys probed here (the publisher's heartbeat); undefined when nothing is probed. */
  shortestInterval(): number | undefined {
    let min: number | undefined;
    for (const key of this.opts.local.keys()) {
      const i = this.opts.local.target(key)?.thresholds.intervalMs;
      if (i !== undefined && (min === undefined || i < min)) min = i;
    }
    return min;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.unsubscribe();
  }

  private hash(key: string): string {
    let h = this.hashes.get(key);
    if (h === undefined) {
      h = hashKey(key);
      this.hashes.set(key, h);
    }
    return h;
  }

  private localVantage(): Vantage {
    const local = this.opts.local;
    let healthy = 0;
    let unhealthy = 0;
    for (const key of local.keys()) {
      const h = local.verdict(key)?.health;
      if (h === 'healthy') healthy++;
      else if (h === 'unhealthy') unhealthy++;
    }
    const of = (key: string) => {
      const h = local.verdict(key)?.health;
      return h === 'unknown' ? undefined : h;
    };
    return { name: this.opts.self, reportedAt: monotonicNow(this.clock), healthy, unhealthy, of };
  }

  private remoteVantages(): Vantage[] {
    return [...this.remotes.values()].map((r) => ({
      name: r.report.vantage,
      reportedAt: r.receivedAt,
      healthy: r.report.healthy,
      unhealthy: r.report.unhealthy,
      of: (key: string) => (r.down.has(this.hash(key)) ? 'unhealthy' : r.up.has(this.hash(key)) ? 'healthy' : undefined),
    }));
  }

  private evaluateSoon(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.evaluate();
    });
  }

  /** Every key again: whether a vantage is cut off depends on all of its verdicts. */
  private evaluate(): void {
    if (this.stopped) return;
    const local = this.localVantage();
    const remotes = this.remoteVantages();
    const keys = new Set(this.opts.local.keys());
    for (const key of this.combined.keys()) {
      if (!keys.has(key)) {
        this.combined.delete(key);
        this.hashes.delete(key);
      }
    }
    const changed = new Set<string>();
    let holdUntil: number | undefined;
    for (const key of keys) {
      const r = this.evaluateKey(key, local, remotes, true);
      if (r === true) changed.add(key);
      else if (typeof r === 'number' && (holdUntil === undefined || r < holdUntil)) holdUntil = r;
    }
    this.schedule(remotes, holdUntil);
    if (changed.size === 0) return;
    for (const l of this.listeners) l(changed);
  }

  /**
   * Re-combines one key: true when its combined health changed, the clock time to look again
   * when a change is held back (too soon after the last one), else false.
   */
  private evaluateKey(key: string, local: Vantage, remotes: readonly Vantage[], notify: boolean): boolean | number {
    const target = this.opts.local.target(key);
    if (!target) return false;
    const { intervalMs, failureThreshold } = target.thresholds;
    const q = combine(key, intervalMs, [local, ...remotes], monotonicNow(this.clock));
    const now = this.clock.now();
    const c = this.combined.get(key);
    if (!c) {
      this.combined.set(key, { health: q.health, since: now, recovered: false, quorum: q });
      return false;
    }
    c.quorum = q;
    if (q.health === c.health) return false;
    // The same damping as a local verdict (verdict.ts): a judged health holds for at least
    // failureThreshold × interval (half an interval of slack for timer drift).
    const holdEnd = c.since + (failureThreshold - 0.5) * intervalMs;
    if (c.health !== 'unknown' && now < holdEnd) return holdEnd;
    const before = this.verdict(key);
    c.recovered = c.health === 'unhealthy' && q.health === 'healthy';
    c.health = q.health;
    c.since = now;
    if (notify && before) this.opts.onTransition?.(target, before, this.verdict(key) as Verdict, q);
    return true;
  }

  /** One timer: the next report to go stale, or the end of a held-back change. */
  private schedule(remotes: readonly Vantage[], holdUntil: number | undefined): void {
    const intervals = new Set<number>();
    for (const key of this.combined.keys()) {
      const i = this.opts.local.target(key)?.thresholds.intervalMs;
      if (i !== undefined) intervals.add(i);
    }
    const mono = monotonicNow(this.clock);
    const expiry = nextExpiry(remotes, intervals, mono);
    const delays: number[] = [];
    if (expiry !== undefined) delays.push(expiry - mono);
    if (holdUntil !== undefined) delays.push(holdUntil - this.clock.now());
    if (delays.length === 0) {
      this.timer?.cancel();
      this.timer = undefined;
      this.timerAt = undefined;
      return;
    }
    const at = mono + Math.max(0, Math.min(...delays));
    if (this.timer && this.timerAt === at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.evaluate();
    }, at - mono);
  }
}
