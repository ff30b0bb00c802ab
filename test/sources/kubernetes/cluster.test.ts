import test from 'ava';
import { parseLabelSelector } from '../../../src/config/index.js';
import { ClusterFleet, EndpointStore, KubeClusterSource } from '../../../src/sources/index.js';
import type { LabelSelector } from '../../../src/config/index.js';
import { FakeApi, ManualClock, RecordingLogger, ingress, namespace, service } from './fakes.js';

const GRACE = 60_000;

function world() {
  const clock = new ManualClock();
  const store = new EndpointStore();
  const fleet = new ClusterFleet(store);
  const log = new RecordingLogger();
  const sources: KubeClusterSource[] = [];
  const cluster = (name: string, o: { selector?: LabelSelector; api?: FakeApi } = {}) => {
    const api = o.api ?? new FakeApi();
    const source = new KubeClusterSource({
      cluster: name,
      api,
      store,
      fleet,
      namespaceSelector: o.selector,
      gracePeriodMs: GRACE,
      watchdogMs: 600_000,
      backoff: { initialMs: 1000, maxMs: 4000 },
      clock,
      random: () => 0,
      logger: log,
    });
    sources.push(source);
    return { api, source };
  };
  const targets = (name: string) => store.byName(name).map((e) => `${e.cluster}:${e.targets.join(',')}`).sort();
  return { clock, store, fleet, log, cluster, targets, stopAll: () => sources.forEach((s) => s.stop()) };
}

const refused = Object.assign(new Error('request to https://127.0.0.1:1/api/v1/namespaces failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const unauthorized = Object.assign(new Error('HTTP-Code: 401'), { code: 401, body: '{"kind":"Status","message":"Unauthorized"}' });

test('nothing is published until every kind is listed; then all at once, with projects', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Namespace.push(namespace('shop', { 'field.cattle.io/projectId': 'p-xyz34' }));
  api.objects.Ingress.push(ingress({ name: 'web', namespace: 'shop', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  api.objects.Service.push(service({ name: 'lb', namespace: 'shop', hosts: 'api.example.test', ips: ['192.0.2.2'] }));
  api.objects.Service.push(service({ name: 'internal', hosts: 'int.example.test', ips: ['192.0.2.3'], type: 'ClusterIP' }));
  api.failLists('Namespace', refused);
  source.start();
  await w.clock.advance(0);
  t.is(w.store.size, 0, 'ingresses listed before namespaces are held back');
  t.is(source.phase, 'Degraded');
  await w.clock.advance(1000);
  t.is(source.phase, 'Synced');
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1']);
  t.deepEqual(w.targets('api.example.test'), ['east:192.0.2.2']);
  t.deepEqual(w.targets('int.example.test'), [], 'only LoadBalancer services claim');
  t.is(w.store.byName('shop.example.test')[0].project, 'p-xyz34');
  t.deepEqual(w.log.messages('info'), ['cluster east: synced after 1s of failures (2 endpoints)']);
  w.stopAll();
});

test('adds, updates and deletes follow the watch; a service leaving LoadBalancer is withdrawn', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  source.start();
  await w.clock.advance(0);
  t.is(source.phase, 'Synced');
  await source.whenSynced();
  api.put('Ingress', ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1']);
  api.put('Ingress', ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.9'] }));
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.9']);
  api.delete('Ingress', 'default', 'web');
  t.deepEqual(w.targets('shop.example.test'), []);
  api.put('Service', service({ name: 'lb', hosts: 'api.example.test', ips: ['192.0.2.2'] }));
  t.deepEqual(w.targets('api.example.test'), ['east:192.0.2.2']);
  api.put('Service', service({ name: 'lb', hosts: 'api.example.test', ips: ['192.0.2.2'], type: 'NodePort' }));
  t.deepEqual(w.targets('api.example.test'), []);
  w.stopAll();
});

test("a namespace's project change re-evaluates that namespace's objects", async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Namespace.push(namespace('shop'), namespace('other'));
  api.objects.Ingress.push(ingress({ name: 'web', namespace: 'shop', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  api.objects.Ingress.push(ingress({ name: 'web', namespace: 'other', hosts: 'other.example.test', ips: ['192.0.2.5'] }));
  source.start();
  await w.clock.advance(0);
  t.is(w.store.byName('shop.example.test')[0].project, undefined);
  const touched: string[][] = [];
  w.store.onChange((n) => touched.push([...n]));
  api.put('Namespace', namespace('shop', {}, { 'field.cattle.io/projectId': 'c-abc12:p-xyz34' }));
  t.is(w.store.byName('shop.example.test')[0].project, 'c-abc12:p-xyz34');
  t.deepEqual(touched, [['shop.example.test']], 'only the names of that namespace are touched');
  api.put('Namespace', namespace('shop', { team: 'a' }, { 'field.cattle.io/projectId': 'c-abc12:p-xyz34' }));
  // Endpoints carry their namespace's labels (for entries' namespaceSelector): a label change
  // touches the names of that namespace, and only those.
  t.deepEqual(touched, [['shop.example.test'], ['shop.example.test']]);
  t.deepEqual(w.store.byName('shop.example.test')[0].namespaceLabels, { team: 'a' });
  t.is(w.store.byName('other.example.test')[0].namespaceLabels, undefined);
  api.put('Namespace', namespace('shop', { team: 'a' }, { 'field.cattle.io/projectId': 'c-abc12:p-xyz34', note: 'x' }));
  t.is(touched.length, 2, 'an annotation change that changes no project touches nothing');
  w.stopAll();
});

test('a namespace selector admits only matching namespaces, following label changes', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east', { selector: parseLabelSelector('globaldns in (on,yes),!legacy') });
  api.objects.Namespace.push(namespace('a', { globaldns: 'on' }), namespace('b'), namespace('c', { globaldns: 'yes', legacy: '' }));
  for (const ns of ['a', 'b', 'c']) api.objects.Ingress.push(ingress({ name: 'web', namespace: ns, hosts: `${ns}.example.test`, ips: ['192.0.2.1'] }));
  source.start();
  await w.clock.advance(0);
  t.deepEqual(w.store.names().sort(), ['a.example.test']);
  api.put('Namespace', namespace('b', { globaldns: 'yes' }));
  t.deepEqual(w.store.names().sort(), ['a.example.test', 'b.example.test']);
  api.put('Namespace', namespace('a', { globaldns: 'off' }));
  t.deepEqual(w.store.names().sort(), ['b.example.test']);
  api.put('Ingress', ingress({ name: 'new', namespace: 'c', hosts: 'c2.example.test', ips: ['192.0.2.1'] }));
  t.deepEqual(w.store.names().sort(), ['b.example.test']);
  w.stopAll();
});

test('invalid hostnames are reported once per object and skipped', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test, bad_host!.example.test', ips: ['192.0.2.1'] }));
  source.start();
  await w.clock.advance(0);
  t.deepEqual(w.store.names(), ['shop.example.test']);
  api.put('Ingress', ingress({ name: 'web', hosts: 'shop.example.test, bad_host!.example.test', ips: ['192.0.2.2'] }));
  api.put('Ingress', ingress({ name: 'worse', hosts: '-nope-', ips: ['192.0.2.2'] }));
  t.deepEqual(w.log.messages(), [
    'cluster east: Ingress default/web: invalid hostname "bad_host!.example.test"',
    'cluster east: Ingress default/worse: invalid hostname "-nope-" (skipped)',
  ]);
  w.stopAll();
});

test('a failure is logged once with its reason; the endpoints stay through the grace period', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  source.start();
  await w.clock.advance(0);
  w.log.lines = [];
  api.failLists('Ingress', unauthorized, 100);
  api.open('Ingress')?.end(Object.assign(new Error('Unauthorized'), { statusCode: 401 }));
  await w.clock.advance(GRACE - 1);
  t.is(source.phase, 'Degraded');
  t.deepEqual(w.log.messages(), ['cluster east: watch ingresses: 401 Unauthorized']);
  const st = source.state();
  t.is(st.lastError, 'cluster east: list ingresses: 401 Unauthorized');
  t.deepEqual(st.failing, ['Ingress']);
  t.is(st.since, 0);
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1'], 'served through the grace period');
  w.stopAll();
});

test('after the grace period a lost cluster is withdrawn where another cluster serves the name', async (t) => {
  const w = world();
  const east = w.cluster('east');
  const west = w.cluster('west');
  east.api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test,only-east.example.test', ips: ['192.0.2.1'] }));
  west.api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['198.51.100.1'] }));
  east.source.start();
  west.source.start();
  await w.clock.advance(0);
  w.log.lines = [];
  east.api.down = true;
  east.api.open('Ingress')?.end(refused);
  east.api.open('Service')?.end(refused);
  east.api.open('Namespace')?.end(refused);
  await w.clock.advance(GRACE);
  t.is(east.source.phase, 'Lost');
  t.deepEqual(w.targets('shop.example.test'), ['west:198.51.100.1']);
  t.deepEqual(w.targets('only-east.example.test'), ['east:192.0.2.1'], 'the last cluster serving a name keeps serving it');
  t.deepEqual(east.source.state().keptStale, ['only-east.example.test']);
  t.deepEqual(w.log.messages(), [
    'cluster east: watch ingresses: connect ECONNREFUSED 127.0.0.1:1',
    'cluster east: lost: failing for 60s (grace period over; namespace, ingress, service); last error: cluster east: list namespaces: connect ECONNREFUSED 127.0.0.1:1',
    'cluster east: still serving its last endpoints for only-east.example.test: no live cluster serves it',
  ]);

  // West claims the name too: east's stale endpoint goes; west drops it: east's comes back.
  west.api.put('Ingress', ingress({ name: 'web2', hosts: 'only-east.example.test', ips: ['198.51.100.2'] }));
  await w.clock.advance(0);
  t.deepEqual(w.targets('only-east.example.test'), ['west:198.51.100.2']);
  west.api.delete('Ingress', 'default', 'web2');
  await w.clock.advance(0);
  t.deepEqual(w.targets('only-east.example.test'), ['east:192.0.2.1']);

  // East comes back: its re-list replaces its endpoints exactly, including what was deleted meanwhile.
  east.api.delete('Ingress', 'default', 'web', true);
  east.api.put('Ingress', ingress({ name: 'web3', hosts: 'shop.example.test', ips: ['192.0.2.3'] }));
  east.api.down = false;
  await w.clock.advance(4000);
  t.is(east.source.phase, 'Synced');
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.3', 'west:198.51.100.1']);
  t.deepEqual(w.targets('only-east.example.test'), []);
  t.deepEqual(east.source.state().keptStale, []);
  t.true(w.log.messages('info').some((m) => /^cluster east: synced again after \d+s/.test(m)));
  w.stopAll();
});

test('two lost clusters both keep a name nothing else serves', async (t) => {
  const w = world();
  const east = w.cluster('east');
  const west = w.cluster('west');
  east.api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  west.api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['198.51.100.1'] }));
  east.source.start();
  west.source.start();
  await w.clock.advance(0);
  for (const c of [east, west]) {
    c.api.down = true;
    c.api.open('Ingress')?.end(refused);
  }
  await w.clock.advance(GRACE);
  t.is(east.source.phase, 'Lost');
  t.is(west.source.phase, 'Lost');
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1', 'west:198.51.100.1']);
  // West returns: east's stale endpoint is no longer needed.
  west.api.down = false;
  await w.clock.advance(4000);
  t.is(west.source.phase, 'Synced');
  t.deepEqual(w.targets('shop.example.test'), ['west:198.51.100.1']);
  w.stopAll();
});

test('a cluster that never answers settles as Lost after the grace period, with nothing published', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.down = true;
  source.start();
  let settled = false;
  void source.whenSettled().then(() => (settled = true));
  await w.clock.advance(GRACE - 1);
  t.false(settled);
  t.is(source.phase, 'Degraded');
  await w.clock.advance(1);
  t.true(settled);
  t.is(source.phase, 'Lost');
  t.is(w.store.size, 0);
  w.stopAll();
});

test('a watch closed cleanly or a 410 changes nothing and logs nothing', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  source.start();
  await w.clock.advance(5000);
  w.log.lines = [];
  api.open('Ingress')?.end();
  await w.clock.advance(0);
  const watch = api.open('Ingress');
  watch?.emit('ERROR', { kind: 'Status', code: 410 });
  watch?.end();
  await w.clock.advance(0);
  t.is(source.phase, 'Synced');
  t.deepEqual(w.log.messages(), []);
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1']);
  w.stopAll();
});

test('stop keeps the endpoints and starts nothing again', async (t) => {
  const w = world();
  const { api, source } = w.cluster('east');
  api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  source.start();
  await w.clock.advance(0);
  const requests = api.lists.length + api.watches.length;
  source.stop();
  await w.clock.advance(10 * GRACE);
  t.is(api.lists.length + api.watches.length, requests);
  t.deepEqual(w.targets('shop.example.test'), ['east:192.0.2.1']);
  t.is(w.fleet.states().length, 0);
});
