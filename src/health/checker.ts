import type { HealthCheck } from '../model/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger, Random, TimerHandle } from '../kernel/index.js';
import type { ProbeSpec, Prober } from './probe.js';
import type { QuorumVerdict } from './quorum.js';
import { initialVerdict, nextVerdict } from './verdict.js';
import type { ProbeOutcome, Thresholds, Verdict } from './verdict.js';

/** One probe to run on a schedule: shared by every name that needs the same check of the same address. */
export interface ProbeTarget {
  /** Identity: equal keys are one probe. */
  readonly key: string;
  readonly spec: ProbeSpec;
  readonly thresholds: Thresholds;
}

/**
 * The probe of `address` that `check` asks for; `host` is the Host header and SNI when the
 * check names none (the name being checked).
 */
export function probeTarget(check: HealthCheck, address: string, host: string): ProbeTarget {
  const spec: ProbeSpec = {
    type: check.type,
    address,
    port: check.port,
    path: check.path,
    host: check.host ?? host,
    expectStatus: check.expectStatus,
    ...(check.bodyMatch !== undefined ? { bodyMatch: check.bodyMatch } : {}),
    timeoutMs: check.timeoutMs,
    verifyCertificate: check.verifyCertificate,
  };
  const thresholds: Thresholds = { failureThreshold: check.failureThreshold, successThreshold: check.successThreshold, intervalMs: check.intervalMs };
  // Fields a tcp probe ignores stay out of its key, so every tcp check of a port is one probe.
  const http = check.type === 'tcp' ? [] : [spec.host, spec.path, JSON.stringify(spec.expectStatus), spec.bodyMatch ?? '', spec.verifyCertificate];
  const key = JSON.stringify([check.type, address, check.port, ...http, check.timeoutMs, check.intervalMs, check.failureThreshold, check.successThreshold]);
  return { key, spec, thresholds };
}

/** What the desired-state stage reads of endpoint health: one vantage, or the quorum of several. */
export interface HealthVerdicts {
  /** Replaces what `owner` (a name) needs probed; probes no owner needs stop. */
  want(owner: string, targets: readonly ProbeTarget[]): void;
  verdict(key: string): Verdict | undefined;
  /** Keys whose health changed; returns the unsubscribe. */
  onChange(listener: (keys: ReadonlySet<string>) => void): () => void;
  /** Which vantages agree on a key's verdict (several vantages only). */
  vantages?(key: string): QuorumVerdict | undefined;
}

export interface HealthCheckerOptions {
  prober: Prober;
  logger: Logger;
  /** Probes in flight at most; the rest wait their turn. */
  concurrency: number;
  /** Probes bind their local side to this address. */
  sourceAddress?: string;
  clock?: Clock;
  random?: Random;
  /** Every finished probe (metrics). */
  onProbe?: (target: ProbeTarget, outcome: ProbeOutcome) => void;
  /** Every health transition (metrics, events). */
  onTransition?: (target: ProbeTarget, from: Verdict, to: Verdict) => void;
}

interface Scheduled {
  target: ProbeTarget;
  owners: Set<string>;
  verdict: Verdict;
  timer: TimerHandle | undefined;
  /** Clock milliseconds of the next tick: ticks keep their phase, spread over the interval. */
  nextAt: number;
  /** The first tick has not come yet. */
  first: boolean;
  busy: boolean;
}

/**
 * Runs the probes the stage asks for, one per distinct target: the first at once, then each on
 * its own random phase of its interval (so thousands of targets do not fire together), at most
 * `concurrency` at once, and keeps each target's verdict (hysteresis: `nextVerdict`). A tick that finds the
 * previous probe still waiting or running is skipped: a slow endpoint never piles up probes.
 * Nothing here runs on the DNS or proxy paths; they read the planned state.
 */
export class HealthChecker implements HealthVerdicts {
  private readonly opts: HealthCheckerOptions;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly targets = new Map<string, Scheduled>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly waiting: Scheduled[] = [];
  private inFlight = 0;
  private stopped = false;
  private readonly listeners = new Set<(keys: ReadonlySet<string>) => void>();

  constructor(opts: HealthCheckerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  want(owner: string, targets: readonly ProbeTarget[]): void {
    const before = this.byOwner.get(owner) ?? new Set<string>();
    const now = new Set(targets.map((t) => t.key));
    for (const t of targets) {
      if (before.has(t.key)) continue;
      let s = this.targets.get(t.key);
      if (!s) {
        const at = this.clock.now();
        s = { target: t, owners: new Set(), verdict: initialVerdict(at), timer: undefined, nextAt: at, first: true, busy: false };
        this.targets.set(t.key, s);
        this.schedule(s);
      }
      s.owners.add(owner);
    }
    for (const key of before) {
      if (now.has(key)) continue;
      const s = this.targets.get(key);
      if (!s) continue;
      s.owners.delete(owner);
      if (s.owners.size === 0) this.drop(s);
    }
    if (now.size > 0) this.byOwner.set(owner, now);
    else this.byOwner.delete(owner);
  }

  verdict(key: string): Verdict | undefined {
    return this.targets.get(key)?.verdict;
  }

  /** The target of a key being probed. */
  target(key: string): ProbeTarget | undefined {
    return this.targets.get(key)?.target;
  }

  /** Every key being probed. */
  keys(): IterableIterator<string> {
    return this.targets.keys();
  }

  /** Probes in flight and waiting for a slot, now. */
  load(): { inFlight: number; waiting: number; targets: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.length, targets: this.targets.size };
  }

  onChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.targets.values()) s.timer?.cancel();
    this.targets.clear();
    this.byOwner.clear();
    this.waiting.length = 0;
  }

  private drop(s: Scheduled): void {
    s.timer?.cancel();
    s.timer = undefined;
    this.targets.delete(s.target.key);
    const i = this.waiting.indexOf(s);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private schedule(s: Scheduled): void {
    s.timer = this.clock.setTimeout(() => this.tick(s), Math.max(0, s.nextAt - this.clock.now()));
  }

  private tick(s: Scheduled): void {
    if (this.stopped || this.targets.get(s.target.key) !== s) return;
    const interval = s.target.thresholds.intervalMs;
    // A new target is probed at once (a new endpoint waits for its verdict, and the endpoints
    // of a name are judged together); after that its phase is random, so targets added
    // together (a start, a re-list) do not fire together ever after.
    if (s.first) s.nextAt += this.random() * interval;
    else s.nextAt += interval;
    s.first = false;
    // Behind by more than an interval (a stalled loop, a suspended machine): start a new phase.
    if (s.nextAt <= this.clock.now()) s.nextAt = this.clock.now() + interval;
    this.schedule(s);
    if (s.busy) return;
    s.busy = true;
    if (this.inFlight < this.opts.concurrency) this.run(s);
    else this.waiting.push(s);
  }

  private run(s: Scheduled): void {
    this.inFlight++;
    const opts = this.opts.sourceAddress !== undefined ? { sourceAddress: this.opts.sourceAddress } : undefined;
    let result: Promise<{ ok: boolean; reason: string; durationMs: number }>;
    try {
      result = this.opts.prober(s.target.spec, opts);
    } catch (e) {
      result = Promise.resolve({ ok: false, reason: `probe failed: ${(e as Error).message}`, durationMs: 0 });
    }
    result
      .catch((e: unknown) => ({ ok: false, reason: `probe failed: ${(e as Error).message}`, durationMs: 0 }))
      .then((r) => this.finish(s, { ...r, at: this.clock.now() }))
      .catch((e: unknown) => this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'health verdict failed'))
      .finally(() => {
        s.busy = false;
        this.inFlight--;
        this.next();
      });
  }

  private next(): void {
    while (!this.stopped && this.inFlight < this.opts.concurrency) {
      const s = this.waiting.shift();
      if (!s) return;
      if (this.targets.get(s.target.key) === s) this.run(s);
    }
  }

  private finish(s: Scheduled, outcome: ProbeOutcome): void {
    if (this.stopped || this.targets.get(s.target.key) !== s) return;
    this.opts.onProbe?.(s.target, outcome);
    const before = s.verdict;
    s.verdict = nextVerdict(before, outcome, s.target.thresholds);
    if (s.verdict.health === before.health) return;
    this.opts.onTransition?.(s.target, before, s.verdict);
    const keys = new Set([s.target.key]);
    for (const l of this.listeners) l(keys);
  }
}
