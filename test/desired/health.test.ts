// Health as an input of the desired-state stage, on a manual clock with a scripted prober (the
// network is injected; test/health/probe.test.ts covers the real probes): what a name answers
// as its endpoints fail and recover, with thresholds, hysteresis, failover groups, failback,
// and when everything is down. Times are the issue's: interval 5 s, failureThreshold 3,
// successThreshold 2, failback 60 s.
import test from 'ava';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { DesiredState } from '../../src/desired/index.js';
import { HealthChecker } from '../../src/health/index.js';
import type { ProbeSpec } from '../../src/health/index.js';
import { LoadBalancerResolver } from '../../src/sources/resolver/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { ManualClock } from '../support/clock.js';
import { lookupBackend } from '../support/desired.js';
import { httpCheck } from '../health/fixtures.js';

const check = httpCheck({ intervalMs: 5000, timeoutMs: 2000 });

const entry = (o: Partial<GlobalDnsEntry> = {}): GlobalDnsEntry => ({
  fqdn: 'shop.example.test',
  ttl: 60,
  provider: 'embedded',
  targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }],
  healthCheck: check,
  ...o,
});

function world(e: GlobalDnsEntry) {
  const clock = new ManualClock();
  const store = new EndpointStore();
  /** address → whether its probe passes now; a function of the probe count for flapping. */
  const up = new Map<string, boolean | ((n: number) => boolean)>();
  const probes: ProbeSpec[] = [];
  const count = new Map<string, number>();
  const checker = new HealthChecker({
    clock,
    random: () => 0,
    concurrency: 16,
    logger: silentLogger,
    prober: async (spec) => {
      probes.push(spec);
      const n = (count.get(spec.address) ?? 0) + 1;
      count.set(spec.address, n);
      const u = up.get(spec.address) ?? true;
      const ok = typeof u === 'function' ? u(n) : u;
      return ok ? { ok, reason: 'status 200', durationMs: 1 } : { ok, reason: 'status 503', durationMs: 1 };
    },
  });
  const resolver = new LoadBalancerResolver({ backend: lookupBackend(), clock });
  const desired = new DesiredState({ store, resolver, entries: [e], logger: silentLogger, clock, debounceMs: 1, health: checker });
  void desired.start();
  const add = (cluster: string, ips: string[]) => store.upsert({ cluster, namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: ips });
  const answer = async () => {
    await desired.flush();
    return (desired.get('shop.example.test')?.records ?? []).flatMap((r) => r.values);
  };
  /** Advances in steps of one interval, returning the answer after each. */
  const steps = async (n: number) => {
    const out: string[][] = [];
    for (let i = 0; i < n; i++) {
      await clock.advance(5000);
      out.push(await answer());
    }
    return out;
  };
  return { clock, store, up, probes, desired, checker, add, answer, steps, stop: () => (desired.stop(), checker.stop()) };
}

test('a new endpoint is probed before it is published; once healthy it is answered', async (t) => {
  const w = world(entry({ targets: [{ cluster: 'east' }] }));
  w.add('east', ['127.0.0.2', '127.0.0.3']);
  w.up.set('127.0.0.3', false);
  await w.desired.flush();
  // Nothing judged yet: unknown endpoints are answered (no endpoint is known healthy).
  t.deepEqual(await w.answer(), ['127.0.0.2', '127.0.0.3']);
  t.deepEqual(w.desired.get('shop.example.test')?.health?.units.map((u) => u.health), ['unknown', 'unknown']);
  await w.clock.advance(1);
  t.deepEqual(await w.answer(), ['127.0.0.2'], 'one healthy endpoint: the unknown one waits for its verdict');
  t.like(w.probes[0], { address: '127.0.0.2', port: 80, path: '/healthz', host: 'shop.example.test', type: 'http' });
  w.stop();
});

test('failureThreshold − 1 failures keep an endpoint; the next one drops it; successThreshold successes bring it back', async (t) => {
  const w = world(entry({ targets: [{ cluster: 'east' }] }));
  w.add('east', ['127.0.0.2', '127.0.0.3']);
  await w.clock.advance(1);
  t.deepEqual(await w.answer(), ['127.0.0.2', '127.0.0.3']);
  w.up.set('127.0.0.3', false);
  t.deepEqual(await w.steps(3), [['127.0.0.2', '127.0.0.3'], ['127.0.0.2', '127.0.0.3'], ['127.0.0.2']], 'gone on the third failure');
  const unit = w.desired.get('shop.example.test')?.health?.units.find((u) => u.target === '127.0.0.3');
  t.like(unit, { health: 'unhealthy', served: false, since: 15_001 });
  t.is(w.desired.verdictOf('shop.example.test', '127.0.0.3')?.last?.reason, 'status 503');
  w.up.set('127.0.0.3', true);
  // Two successes are enough once failureThreshold × interval has passed since it went down.
  t.deepEqual(await w.steps(3), [['127.0.0.2'], ['127.0.0.2'], ['127.0.0.2', '127.0.0.3']]);
  w.stop();
});

test('an endpoint alternating pass and fail on every probe never changes health (thresholds ≥ 2)', async (t) => {
  const w = world(entry({ targets: [{ cluster: 'east' }] }));
  w.add('east', ['127.0.0.2', '127.0.0.3']);
  w.up.set('127.0.0.3', (n) => n % 2 === 1);
  await w.clock.advance(1);
  await w.answer();
  let changes = 0;
  w.desired.onChange(() => changes++);
  const answers = await w.steps(40);
  t.true(answers.every((a) => a.join() === '127.0.0.2,127.0.0.3'));
  t.is(changes, 0, 'not one re-plan in 200 s of flapping');
  w.stop();
});

test('an endpoint flapping in bursts changes health at most once per failureThreshold × interval', async (t) => {
  const w = world(entry({ targets: [{ cluster: 'east' }], healthCheck: { ...check, successThreshold: 1 } }));
  w.add('east', ['127.0.0.2', '127.0.0.3']);
  // 3 failures, 1 success, 3 failures, …: without damping it would change every 2 probes.
  w.up.set('127.0.0.3', (n) => n % 4 === 1);
  await w.clock.advance(1);
  const transitions: number[] = [];
  let last = (await w.answer()).length;
  for (let i = 0; i < 60; i++) {
    await w.clock.advance(5000);
    const n = (await w.answer()).length;
    if (n !== last) transitions.push(w.clock.now());
    last = n;
  }
  t.true(transitions.length > 0);
  for (let i = 1; i < transitions.length; i++) t.true(transitions[i] - transitions[i - 1] >= 3 * 5000 - 2500, `changes ${transitions.join(', ')}`);
  w.stop();
});

test('failover: the primary group dies, the secondary is answered; it gets traffic back only after failback', async (t) => {
  const w = world(entry({ routing: { policy: 'failover', failbackMs: 60_000, whenAllDown: 'serve-all' } }));
  w.add('east', ['127.0.0.2']);
  w.add('west', ['127.0.0.3']);
  w.store.upsert({ cluster: 'west', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: ['127.0.0.3'] });
  await w.clock.advance(1);
  t.deepEqual(await w.answer(), ['127.0.0.2'], 'both healthy at start: the primary group');
  t.is(w.desired.get('shop.example.test')?.health?.activeGroup, 1);
  w.up.set('127.0.0.2', false);
  t.deepEqual(await w.steps(3), [['127.0.0.2'], ['127.0.0.2'], ['127.0.0.3']]);
  t.is(w.desired.get('shop.example.test')?.health?.activeGroup, 2);
  w.up.set('127.0.0.2', true);
  const back = await w.steps(3);
  t.deepEqual(back.at(-1), ['127.0.0.3'], 'the primary is healthy again but waits out the failback');
  const recovered = w.desired.get('shop.example.test')?.health?.units.find((u) => u.target === '127.0.0.2');
  t.is(recovered?.health, 'healthy');
  // 60 s after it recovered, with no new verdict, the answer moves back.
  await w.clock.advance((recovered?.since ?? 0) + 60_000 - w.clock.now() - 1);
  t.deepEqual(await w.answer(), ['127.0.0.3']);
  await w.clock.advance(1);
  t.deepEqual(await w.answer(), ['127.0.0.2']);
  t.is(w.desired.get('shop.example.test')?.health?.activeGroup, 1);
  w.stop();
});

test('all down: every endpoint is answered (serve-all), and the state says so; servfail marks it', async (t) => {
  for (const whenAllDown of ['serve-all', 'servfail'] as const) {
    const w = world(entry({ routing: { policy: 'failover', failbackMs: 60_000, whenAllDown } }));
    w.add('east', ['127.0.0.2']);
    w.store.upsert({ cluster: 'west', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: ['127.0.0.3'] });
    await w.clock.advance(1);
    w.up.set('127.0.0.2', false);
    w.up.set('127.0.0.3', false);
    await w.steps(3);
    t.deepEqual(await w.answer(), ['127.0.0.2', '127.0.0.3'], 'never NODATA for a name with endpoints');
    t.like(w.desired.get('shop.example.test')?.health, { allDown: true, servfail: whenAllDown === 'servfail' });
    const e = w.store.byName('shop.example.test')[0];
    t.deepEqual(w.desired.servedAddresses('shop.example.test', e), whenAllDown === 'servfail' ? [] : [e.targets[0]], 'the proxy: serve-all sends to all, servfail to none');
    w.stop();
  }
});

test('one probe per distinct address and check, shared by names; probes stop with the name', async (t) => {
  const w = world(entry({ fqdn: '*.example.test', targets: [{ cluster: 'east' }], healthCheck: { ...check, host: 'health.example.test' } }));
  for (const name of ['a', 'b']) w.store.upsert({ cluster: 'east', namespace: 'shop', kind: 'Ingress', name, hostnames: [`${name}.example.test`], targets: ['127.0.0.2'] });
  await w.desired.flush();
  t.deepEqual([...w.checker.keys()].length, 1, 'the same Host header: one probe for both names');
  await w.clock.advance(10_001);
  t.is(w.probes.length, 3);
  for (const name of ['a', 'b']) w.store.remove(`east/shop/Ingress/${name}`);
  await w.desired.flush();
  t.is([...w.checker.keys()].length, 0);
  await w.clock.advance(20_000);
  t.is(w.probes.length, 3, 'no probe once no name needs it');
  w.stop();
});
