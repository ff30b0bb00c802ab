import { systemClock } from '../kernel/index.js';
import type { Clock, Logger, Random, TimerHandle } from '../kernel/index.js';
import { Reflector } from '../sources/kubernetes/index.js';
import type { KubeObject } from '../sources/kubernetes/index.js';
import type { ReportKind, ReportStore } from './kube-store.js';
import type { QuorumVerdicts } from './quorum-verdicts.js';
import { encodeReport, parseReport, REPORT_KEY, reportName, VANTAGE_LABEL } from './report.js';

export interface VantageExchangeOptions {
  store: ReportStore;
  /** This replica's identity (the management mode's). */
  identity: string;
  /** Receives the others' reports; gives this replica's. */
  quorum: Pick<QuorumVerdicts, 'report' | 'forget' | 'localReport' | 'shortestInterval'>;
  /** This replica's checker: a changed local verdict is published at once. */
  local: { onChange(listener: (keys: ReadonlySet<string>) => void): () => void };
  logger: Logger;
  clock?: Clock;
  random?: Random;
  backoff: { initialMs: number; maxMs: number };
  watchdogMs: number;
  /** Bound on the deletion of this replica's report at stop. Default 2 s. */
  stopTimeoutMs?: number;
}

interface Seen {
  resourceVersion: string;
  /** The vantage its last good report named; undefined while it held nothing usable. */
  vantage?: string;
}

/**
 * The edge between the quorum and the management cluster: publishes this replica's verdicts
 * as one ConfigMap (labelled `VANTAGE_LABEL`, named after the identity) when a local verdict
 * changes and as a heartbeat every shortest probe interval, so that the others see it fresh;
 * reads the others' (a reflector: list, then watch by the label) and hands each new write to
 * the quorum, which lets a report go stale after 3 intervals without a write. Garbage in a
 * report is ignored with a warning (the report it replaces goes stale as if the vantage were
 * silent). Nothing is published or read while nothing is probed (no health checks: no
 * ConfigMaps). `stop()` deletes this replica's report: the others forget it at once.
 */
export class VantageExchange {
  private readonly opts: VantageExchangeOptions;
  private readonly clock: Clock;
  private readonly name: string;
  private readonly reflector: Reflector<ReportKind>;
  private readonly seen = new Map<string, Seen>();
  private readonly unsubscribe: () => void;
  private seq = 0;
  private published = false;
  private reading = false;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private heartbeat: TimerHandle | undefined;
  private failing = false;
  private stopped = false;

  constructor(opts: VantageExchangeOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.name = reportName(opts.identity);
    this.reflector = new Reflector<ReportKind>({
      kind: 'ConfigMap',
      api: opts.store,
      resource: 'configmaps',
      clock: this.clock,
      random: opts.random ?? Math.random,
      backoff: opts.backoff,
      watchdogMs: opts.watchdogMs,
      handler: {
        replaced: (items) => this.replaced(items),
        changed: (type, obj) => (type === 'DELETED' ? this.deleted(obj) : this.consider(obj)),
        healthy: () => opts.logger.debug({}, 'reading the other vantages'),
        failed: (reason) => opts.logger.warn({ reason }, `health reports not read: ${reason}`),
        handlerError: (err) => opts.logger.error({ err: (err as Error).stack ?? String(err) }, 'health report handling failed'),
      },
    });
    this.unsubscribe = opts.local.onChange(() => this.publish());
  }

  /** The ConfigMap name of this replica's report. */
  get reportName(): string {
    return this.name;
  }

  start(): void {
    this.publish();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.heartbeat?.cancel();
    this.reflector.stop();
    await this.writing;
    if (!this.published) return;
    const bound = this.opts.stopTimeoutMs ?? 2000;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = systemClock.setTimeout(() => {
        this.opts.logger.warn({ name: this.name }, `health report not deleted within ${bound} ms; it goes stale`);
        resolve();
      }, bound);
    });
    const removal = this.opts.store.remove(this.name).catch((e: unknown) => this.opts.logger.warn({ name: this.name, err: (e as Error).message }, 'health report not deleted; it goes stale'));
    await Promise.race([removal, timeout]);
    timer?.cancel();
  }

  /** Writes this replica's report now (or right after the write in flight), then sets the next heartbeat. */
  private publish(): void {
    if (this.stopped) return;
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
    const interval = this.opts.quorum.shortestInterval();
    if (interval === undefined && !this.published) return;
    if (interval !== undefined && !this.reading) {
      this.reading = true;
      this.reflector.start();
    }
    this.writing = this.write()
      .catch((e: unknown) => {
        if (!this.failing) this.opts.logger.warn({ name: this.name, err: (e as Error).message }, `health report not published: ${(e as Error).message}`);
        this.failing = true;
      })
      .finally(() => {
        this.writing = undefined;
        if (this.stopped) return;
        if (this.dirty) {
          this.dirty = false;
          this.publish();
          return;
        }
        const next = this.opts.quorum.shortestInterval();
        if (next !== undefined) this.heartbeat = this.clock.setTimeout(() => this.publish(), next);
      });
  }

  private async write(): Promise<void> {
    const local = this.opts.quorum.localReport();
    this.seq++;
    const data = { [REPORT_KEY]: encodeReport({ vantage: this.opts.identity, seq: this.seq, ...local }) };
    await this.opts.store.put(this.name, { [VANTAGE_LABEL]: 'true' }, data);
    this.published = true;
    if (this.failing) this.opts.logger.info({ name: this.name }, 'health report published again');
    this.failing = false;
  }

  private replaced(items: KubeObject[]): void {
    const names = new Set(items.map((o) => nameOf(o)));
    for (const name of [...this.seen.keys()]) if (!names.has(name)) this.drop(name);
    for (const o of items) this.consider(o);
  }

  private deleted(obj: KubeObject): void {
    this.drop(nameOf(obj));
  }

  private drop(name: string): void {
    const s = this.seen.get(name);
    this.seen.delete(name);
    if (s?.vantage !== undefined) this.opts.quorum.forget(s.vantage);
  }

  /** One write of a report: a new resourceVersion is a new write (a re-list of the same one is not: it must not look fresh). */
  private consider(obj: KubeObject): void {
    const name = nameOf(obj);
    if (name === this.name) return;
    const rv = String((obj.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion ?? '');
    const before = this.seen.get(name);
    if (before && rv !== '' && before.resourceVersion === rv) return;
    const parsed = parseReport(obj);
    if ('error' in parsed) {
      this.opts.logger.warn({ name, reason: parsed.error }, `health report ${name} ignored: ${parsed.error}`);
      // What it said before goes stale on its own, as if the vantage had gone silent.
      this.seen.set(name, { resourceVersion: rv, ...(before?.vantage !== undefined ? { vantage: before.vantage } : {}) });
      return;
    }
    const { report } = parsed;
    if (report.vantage === this.opts.identity) {
      this.opts.logger.warn({ name }, `health report ${name} claims this replica's identity ${report.vantage}; ignored (two replicas with one identity?)`);
      this.seen.set(name, { resourceVersion: rv });
      return;
    }
    if (before?.vantage !== undefined && before.vantage !== report.vantage) this.opts.quorum.forget(before.vantage);
    this.seen.set(name, { resourceVersion: rv, vantage: report.vantage });
    this.opts.quorum.report(report);
  }
}

function nameOf(obj: KubeObject): string {
  return String((obj.metadata as { name?: unknown } | undefined)?.name ?? '');
}
