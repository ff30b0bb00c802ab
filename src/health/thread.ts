import { Worker } from 'node:worker_threads';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';
import type { ProbeTarget } from './checker.js';
import type { LocalVantage } from './quorum-verdicts.js';
import type { FromProbeThread, ProbeThreadData, ToProbeThread } from './thread-protocol.js';
import type { Verdict } from './verdict.js';

export interface ProbeThreadOptions extends ProbeThreadData {
  logger: Logger;
  clock?: Clock;
  /** Every finished probe (metrics), in the batches the thread sends. */
  onProbe?: (type: string, ok: boolean, durationMs: number) => void;
  /** Every health transition (metrics, logs). */
  onTransition?: (target: ProbeTarget, from: Verdict | undefined, to: Verdict) => void;
  /** How long a crashed thread waits before it is started again. */
  restartMs?: number;
  /**
   * Starts the thread running `thread-main` with `workerData`; default the compiled
   * `thread-main.js` next to this file. Tests running the TypeScript source pass their own.
   */
  startThread?: (workerData: ProbeThreadData) => Worker;
}

/**
 * This replica's checker, run in a worker thread: the probes' sockets, parsing and timers never
 * take time from the thread that answers DNS (and plans). The main side keeps what the stage
 * and the quorum read synchronously: the targets asked for and a mirror of their verdicts,
 * updated by the thread's messages (transitions at once, other updates in batches). The thread
 * starts with the first target; one that dies is started again with every target.
 */
export class ProbeThread implements LocalVantage {
  private readonly opts: ProbeThreadOptions;
  private readonly clock: Clock;
  private worker: Worker | undefined;
  private readonly byOwner = new Map<string, ProbeTarget[]>();
  private readonly targets = new Map<string, { target: ProbeTarget; owners: number }>();
  private readonly verdicts = new Map<string, Verdict>();
  private readonly listeners = new Set<(keys: ReadonlySet<string>) => void>();
  private restart: TimerHandle | undefined;
  private stopped = false;

  constructor(opts: ProbeThreadOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  want(owner: string, targets: readonly ProbeTarget[]): void {
    const before = this.byOwner.get(owner) ?? [];
    if (before.length === 0 && targets.length === 0) return;
    for (const t of targets) {
      const e = this.targets.get(t.key);
      if (e) e.owners++;
      else this.targets.set(t.key, { target: t, owners: 1 });
    }
    for (const t of before) {
      const e = this.targets.get(t.key);
      if (e && --e.owners === 0) {
        this.targets.delete(t.key);
        this.verdicts.delete(t.key);
      }
    }
    if (targets.length > 0) this.byOwner.set(owner, [...targets]);
    else this.byOwner.delete(owner);
    // Started on the first target: a service without health checks runs no thread.
    if (!this.worker && !this.stopped && !this.restart && targets.length > 0) this.start();
    else this.send({ op: 'want', owner, targets: [...targets] });
  }

  verdict(key: string): Verdict | undefined {
    return this.verdicts.get(key);
  }

  target(key: string): ProbeTarget | undefined {
    return this.targets.get(key)?.target;
  }

  keys(): IterableIterator<string> {
    return this.targets.keys();
  }

  onChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.restart?.cancel();
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    w.postMessage({ op: 'stop' } satisfies ToProbeThread);
    // The thread ends once its checker has stopped; never keep the process waiting for it.
    const t = setTimeout(() => void w.terminate(), 1000);
    t.unref();
    w.once('exit', () => clearTimeout(t));
    w.unref();
  }

  private send(m: ToProbeThread): void {
    this.worker?.postMessage(m);
  }

  private start(): void {
    const data: ProbeThreadData = { concurrency: this.opts.concurrency, ...(this.opts.sourceAddress !== undefined ? { sourceAddress: this.opts.sourceAddress } : {}) };
    const w = (this.opts.startThread ?? startCompiledThread)(data);
    this.worker = w;
    w.on('message', (m: FromProbeThread) => this.receive(m));
    w.on('error', (e) => this.opts.logger.error({ err: e.stack ?? String(e) }, 'probe thread failed'));
    w.on('exit', (code) => {
      if (this.stopped || this.worker !== w) return;
      this.worker = undefined;
      this.opts.logger.error({ code }, 'probe thread exited; starting it again');
      this.restart = this.clock.setTimeout(() => {
        this.restart = undefined;
        if (this.stopped) return;
        this.start();
        for (const [owner, targets] of this.byOwner) this.send({ op: 'want', owner, targets });
      }, this.opts.restartMs ?? 1000);
    });
    // Probing alone never keeps the process alive.
    w.unref();
    for (const [owner, targets] of this.byOwner) this.send({ op: 'want', owner, targets });
  }

  private receive(m: FromProbeThread): void {
    if (m.op === 'log') {
      this.opts.logger[m.level](m.fields, m.msg);
      return;
    }
    for (const s of m.samples) this.opts.onProbe?.(s[0], s[1], s[2]);
    const changed = new Set<string>();
    const transitions = new Set(m.transitions);
    for (const [key, v] of m.verdicts) {
      const t = this.targets.get(key);
      // A target let go of while the message was on its way.
      if (!t) continue;
      const before = this.verdicts.get(key);
      this.verdicts.set(key, v);
      if (transitions.has(key) && before?.health !== v.health) {
        changed.add(key);
        this.opts.onTransition?.(t.target, before, v);
      }
    }
    if (changed.size > 0) { for (const l of this.listeners) l(changed); }
  }
}

/** The compiled thread entry next to this file (dist/src/health/thread-main.js). */
function startCompiledThread(workerData: ProbeThreadData): Worker {
  return new Worker(new URL('./thread-main.js', import.meta.url), { workerData, stdout: false, stderr: false });
}
