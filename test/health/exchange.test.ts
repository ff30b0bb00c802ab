// The exchange of vantage reports on a manual clock, over an in-memory store that behaves like
// the ConfigMaps of one namespace (list, watch, put, delete): several replicas, each with its
// own checker (scripted probes) and quorum, publishing and reading one another. The real
// ConfigMaps are covered by test/integration/health-quorum.test.ts.
import test from 'ava';
import { hashKey, HealthChecker, probeTarget, QuorumVerdicts, REPORT_KEY, reportName, VANTAGE_LABEL, VantageExchange, parseReport } from '../../src/health/index.js';
import type { ReportStore } from '../../src/health/index.js';
import type { KubeObject, WatchHandle } from '../../src/sources/kubernetes/index.js';
import type { Logger } from '../../src/kernel/index.js';
import { ManualClock } from '../support/clock.js';
import { httpCheck } from './fixtures.js';

const check = httpCheck({ failureThreshold: 2, successThreshold: 1 });
const A = probeTarget(check, '127.0.0.2', 'shop.example.test');
const B = probeTarget(check, '127.0.0.3', 'shop.example.test');

/** ConfigMaps of one namespace, in memory: every write bumps the resourceVersion and is seen by the watches. */
class MemoryStore implements ReportStore {
  readonly objects = new Map<string, KubeObject>();
  private rv = 0;
  private readonly watchers = new Set<(type: string, obj: KubeObject) => void>();
  puts = 0;
  lists = 0;
  failPuts = 0;

  async list() {
    this.lists++;
    return { items: [...this.objects.values()], resourceVersion: String(this.rv) };
  }

  async watch(_kind: 'ConfigMap', _p: unknown, onEvent: (type: string, obj: KubeObject) => void): Promise<WatchHandle> {
    this.watchers.add(onEvent);
    return { abort: () => void this.watchers.delete(onEvent) };
  }

  async put(name: string, labels: Record<string, string>, data: Record<string, string>) {
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new Error('replace configmap: 500 Internal Server Error');
    }
    this.puts++;
    this.apply({ metadata: { name, labels }, data });
  }

  async remove(name: string) {
    const obj = this.objects.get(name);
    if (!obj) return;
    this.objects.delete(name);
    for (const w of this.watchers) w('DELETED', obj);
  }

  /** The test side: any object, as another writer would put it. */
  apply(obj: { metadata: { name: string; labels?: Record<string, string> }; data?: unknown }) {
    const stored = { ...obj, kind: 'ConfigMap', metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } } as KubeObject;
    const type = this.objects.has(obj.metadata.name) ? 'MODIFIED' : 'ADDED';
    this.objects.set(obj.metadata.name, stored);
    for (const w of this.watchers) w(type, stored);
  }
}

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: object, msg?: string) => void lines.push({ level, msg: msg ?? '' });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines, warnings: () => lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg) };
}

function world(names: string[]) {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const log = recorder();
  /** replica → address → whether its probe passes. */
  const up = new Map<string, Map<string, boolean>>();
  const replicas = new Map(
    names.map((name) => {
      up.set(name, new Map());
      const checker = new HealthChecker({
        clock,
        random: () => 0,
        concurrency: 8,
        logger: log.logger,
        prober: async (spec) => ((up.get(name)?.get(spec.address) ?? true) ? { ok: true, reason: 'status 200', durationMs: 1 } : { ok: false, reason: 'status 503', durationMs: 1 }),
      });
      const quorum = new QuorumVerdicts({ local: checker, self: name, logger: log.logger, clock });
      const exchange = new VantageExchange({ store, identity: name, quorum, local: checker, logger: log.logger, clock, random: () => 0, backoff: { initialMs: 100, maxMs: 1000 }, watchdogMs: 1e9 });
      return [name, { checker, quorum, exchange }];
    }),
  );
  const start = (name: string, targets = [A, B]) => {
    const r = replicas.get(name)!;
    r.quorum.want('shop.example.test', targets);
    r.exchange.start();
  };
  const stopAll = async () => {
    for (const r of replicas.values()) {
      await r.exchange.stop();
      r.quorum.stop();
      r.checker.stop();
    }
  };
  return { clock, store, log, up, replicas, start, stopAll, get: (name: string) => replicas.get(name)! };
}

test('every replica publishes its verdicts, sees the others and decides by quorum', async (t) => {
  const w = world(['r1', 'r2', 'r3']);
  for (const n of ['r1', 'r2', 'r3']) w.start(n);
  w.up.get('r1')?.set('127.0.0.2', false);
  await w.clock.advance(5000);
  t.deepEqual([...w.store.objects.keys()].sort(), ['globaldns-health-r1', 'globaldns-health-r2', 'globaldns-health-r3']);
  const own = w.store.objects.get('globaldns-health-r1')!;
  t.is((own.metadata as { labels: Record<string, string> }).labels[VANTAGE_LABEL], 'true');
  t.like(parseReport(own), { report: { vantage: 'r1', healthy: 1, unhealthy: 1 } });
  for (const n of ['r1', 'r2', 'r3']) {
    t.is(w.get(n).quorum.verdict(A.key)?.health, 'healthy', `${n}: one replica alone cannot take it down`);
    t.deepEqual(w.get(n).quorum.vantages(A.key), { health: 'healthy', agree: ['r2', 'r3'], disagree: ['r1'], cutOff: [] });
  }
  // It dies for everyone.
  for (const n of ['r2', 'r3']) w.up.get(n)?.set('127.0.0.2', false);
  await w.clock.advance(3000);
  for (const n of ['r1', 'r2', 'r3']) t.is(w.get(n).quorum.verdict(A.key)?.health, 'unhealthy', n);
  t.deepEqual(w.log.warnings(), []);
  await w.stopAll();
});

test('a heartbeat every interval keeps a report fresh; a replica gone silent stops counting after 3 intervals', async (t) => {
  const w = world(['r1']);
  w.start('r1');
  await w.clock.advance(3000);
  const puts = w.store.puts;
  await w.clock.advance(10_000);
  t.true(w.store.puts - puts >= 9, `heartbeats: ${w.store.puts - puts} writes in 10 intervals`);
  // r2's last write, then it crashes (its ConfigMap stays, as a crash leaves it).
  w.store.apply({ metadata: { name: 'globaldns-health-r2' }, data: { [REPORT_KEY]: JSON.stringify({ v: 1, vantage: 'r2', seq: 9, healthy: 1, unhealthy: 0, up: [hashKey(A.key)], down: [] }) } });
  await w.clock.advance(3000);
  t.deepEqual(w.get('r1').quorum.vantages(A.key)?.agree, ['r1', 'r2'], 'fresh up to 3 intervals after its last write');
  await w.clock.advance(1);
  t.deepEqual(w.get('r1').quorum.vantages(A.key)?.agree, ['r1']);
  await w.stopAll();
});

test('stop deletes the own report; the others forget that vantage at once', async (t) => {
  const w = world(['r1', 'r2']);
  w.start('r1');
  w.start('r2');
  await w.clock.advance(2000);
  t.deepEqual(w.get('r1').quorum.vantages(A.key)?.agree, ['r1', 'r2']);
  await w.get('r2').exchange.stop();
  t.false(w.store.objects.has('globaldns-health-r2'));
  t.deepEqual(w.get('r1').quorum.vantages(A.key)?.agree, ['r1']);
  await w.stopAll();
});

test('garbage in a report is ignored with a warning: no crash, no health flipped', async (t) => {
  const w = world(['r1']);
  w.start('r1');
  const r2 = (data: unknown) => w.store.apply({ metadata: { name: 'globaldns-health-r2', labels: { [VANTAGE_LABEL]: 'true' } }, data });
  const good = { v: 1, vantage: 'r2', seq: 1, healthy: 1, unhealthy: 0, up: [], down: [] };
  await w.clock.advance(2000);
  r2({ [REPORT_KEY]: JSON.stringify(good) });
  t.deepEqual(w.get('r1').quorum.vantages(A.key)?.agree, ['r1'], 'r2 judged nothing of ours');
  const garbage: unknown[] = [
    undefined,
    { other: 'x' },
    { [REPORT_KEY]: '{not json' },
    { [REPORT_KEY]: '[1,2]' },
    { [REPORT_KEY]: JSON.stringify({ ...good, v: 2 }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, vantage: 7 }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, seq: -1 }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, healthy: 'many' }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, down: 'abc' }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, down: ['not a hash!'] }) },
    { [REPORT_KEY]: JSON.stringify({ ...good, unhealthy: 0, down: ['AAAAAAAAAAAAAAAA'] }) },
    { [REPORT_KEY]: 'x'.repeat(1_000_001) },
  ];
  for (const data of garbage) r2(data);
  const warnings = w.log.warnings();
  t.is(warnings.length, garbage.length, warnings.join('\n'));
  t.true(warnings.every((m) => m.startsWith('health report globaldns-health-r2 ignored: ')), warnings.join('\n'));
  t.is(w.get('r1').quorum.verdict(A.key)?.health, 'healthy');
  // A good report, then garbage over it: the good one counts until it goes stale.
  const w2 = world(['r1']);
  w2.up.get('r1')?.set('127.0.0.2', false);
  w2.start('r1');
  await w2.clock.advance(3000);
  t.is(w2.get('r1').quorum.verdict(A.key)?.health, 'unhealthy', 'r1 alone: down');
  const upReport = JSON.stringify({ v: 1, vantage: 'r2', seq: 1, healthy: 1, unhealthy: 0, up: [hashKey(A.key)], down: [] });
  w2.store.apply({ metadata: { name: 'globaldns-health-r2' }, data: { [REPORT_KEY]: upReport } });
  const tie = { health: 'healthy', agree: ['r2'], disagree: ['r1'], cutOff: [] };
  t.deepEqual(w2.get('r1').quorum.vantages(A.key), tie, 'a tie: up');
  w2.store.apply({ metadata: { name: 'globaldns-health-r2' }, data: { [REPORT_KEY]: '{garbage' } });
  await w2.clock.advance(3000);
  t.deepEqual(w2.get('r1').quorum.vantages(A.key), tie, 'the last good report still counts');
  t.is(w2.get('r1').quorum.verdict(A.key)?.health, 'healthy');
  await w2.clock.advance(1);
  t.is(w2.get('r1').quorum.verdict(A.key)?.health, 'unhealthy', 'then it goes stale, as if r2 had gone silent');
  await w.stopAll();
  await w2.stopAll();
});

test('nothing probed: nothing published, nothing read', async (t) => {
  const w = world(['r1']);
  w.start('r1', []);
  await w.clock.advance(10_000);
  t.is(w.store.puts, 0);
  t.is(w.store.lists, 0);
  await w.stopAll();
});

test('a failed write is logged once and retried at the next heartbeat', async (t) => {
  const w = world(['r1']);
  w.store.failPuts = 3;
  w.start('r1');
  await w.clock.advance(5000);
  t.true(w.store.objects.has('globaldns-health-r1'));
  t.deepEqual(w.log.warnings(), ['health report not published: replace configmap: 500 Internal Server Error']);
  t.true(w.log.lines.some((l) => l.msg === 'health report published again'));
  await w.stopAll();
});

test('report names are valid object names, one per identity', (t) => {
  t.is(reportName('replica-1'), 'globaldns-health-replica-1');
  const odd = reportName('Node_7.example:1234');
  t.regex(odd, /^globaldns-health-[a-z0-9-]+$/);
  t.not(odd, reportName('node-7-example-1234'));
  t.regex(reportName('x'.repeat(128)), /^[a-z0-9-]{1,63}$/);
});
