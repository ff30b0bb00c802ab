import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { Controller } from '../../src/controller/index.js';
import type { ZoneSink } from '../../src/controller/index.js';
import type { Endpoint, ZoneContent } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { LoadBalancerResolver } from '../../src/sources/resolver/index.js';
import { ManualClock } from '../support/clock.js';
import { desiredFor, lookupBackend } from '../support/desired.js';

const config = parseConfig(
  `
zones:
  - apex: example.test
    records: ["ns1 A 127.0.0.1"]
  - apex: other.test
clusters:
  - { name: east, manifests: e }
  - { name: west, manifests: w }
entries:
  - fqdn: shop.example.test
    targets: [{ cluster: east }, { cluster: west }]
  - fqdn: api.other.test
    ttl: 60
    targets: [{ cluster: east }]
`,
  { baseDir: '/tmp' },
);

class FakeSink implements ZoneSink {
  zones = new Map<string, ZoneContent>();
  calls: string[] = [];
  removed: string[] = [];
  constructor(preloaded: string[] = []) {
    for (const apex of preloaded) this.zones.set(apex, { apex, soa: { ...config.zones[0].soa, serial: 1 }, ns: [], nsTtl: 1, records: [] });
  }
  setZone(content: ZoneContent): boolean {
    this.calls.push(content.apex);
    this.zones.set(content.apex, content);
    return true;
  }
  removeZone(apex: string): void {
    this.removed.push(apex);
    this.zones.delete(apex);
  }
  apexes(): string[] {
    return [...this.zones.keys()];
  }
  values(apex: string, name: string, type: string): string[] | undefined {
    return this.zones.get(apex)?.records.find((r) => r.name === name && r.type === type)?.values;
  }
}

class FakeLogger {
  lines: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string) {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
  messages(msg: string) {
    return this.lines.filter((l) => l.msg === msg);
  }
}

const ep = (over: Partial<Endpoint> & Pick<Endpoint, 'cluster'>): Endpoint => ({
  namespace: 'shop',
  kind: 'Ingress',
  name: 'web',
  hostnames: ['shop.example.test'],
  targets: [],
  ...over,
});

function setup(opts: { preloaded?: string[]; lookup?: (h: string) => Promise<{ v4: string[]; v6: string[] }>; refreshMs?: number } = {}) {
  const store = new EndpointStore();
  const sink = new FakeSink(opts.preloaded);
  const logger = new FakeLogger();
  const clock = new ManualClock();
  const desired = desiredFor({ entries: config.entries, store, lookup: opts.lookup, clock, logger, refreshMs: opts.refreshMs });
  const controller = new Controller({ zones: config.zones, entries: config.entries, desired, sink, logger });
  return { store, sink, logger, controller, clock };
}

test('configured zones without a snapshot are served at once with their static records', async (t) => {
  const { sink, controller } = setup({ preloaded: ['gone.test'] });
  controller.start();
  t.deepEqual(sink.removed, ['gone.test'], 'a zone dropped from the config is no longer served');
  t.deepEqual(sink.calls.sort(), ['example.test', 'other.test']);
  t.deepEqual(sink.values('example.test', 'ns1.example.test', 'A'), ['127.0.0.1']);
  t.is(sink.zones.get('example.test')?.soa.mname, 'ns1.example.test');
  controller.stop();
});

test('store changes re-plan touched names and rebuild only their zone', async (t) => {
  const { store, sink, controller, clock } = setup();
  controller.start();
  await controller.ready();
  sink.calls = [];
  store.upsert(ep({ cluster: 'east', targets: ['192.0.2.10'] }));
  store.upsert(ep({ cluster: 'west', targets: ['198.51.100.20', '2001:db8::20'] }));
  await clock.advance(50); // past the debounce
  await controller.flush();
  t.deepEqual(sink.calls, ['example.test'], 'two events in the debounce window, one rebuild of one zone');
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['192.0.2.10', '198.51.100.20']);
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'AAAA'), ['2001:db8::20']);
  t.deepEqual(sink.values('example.test', 'ns1.example.test', 'A'), ['127.0.0.1'], 'static records stay');

  store.remove('west/shop/Ingress/web');
  await controller.flush();
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['192.0.2.10']);
  t.is(sink.values('example.test', 'shop.example.test', 'AAAA'), undefined);
  controller.stop();
});

test('rejected claims are logged once per endpoint and name, and never reach DNS', async (t) => {
  const { store, sink, logger, controller, clock } = setup();
  controller.start();
  await controller.ready();
  const stray = ep({ cluster: 'west', name: 'api', hostnames: ['api.other.test'], targets: ['198.51.100.1'] });
  store.upsert(stray);
  await clock.advance(30);
  await controller.flush();
  store.upsert({ ...stray, targets: ['198.51.100.2'] }); // same claim again
  await clock.advance(30);
  await controller.flush();
  const rejected = logger.messages('claim rejected');
  t.is(rejected.length, 1);
  t.deepEqual(rejected[0].obj, { fqdn: 'api.other.test', endpoint: 'west/shop/Ingress/api', reason: 'cluster west is not a target of entry api.other.test' });
  t.is(sink.values('other.test', 'api.other.test', 'A'), undefined);
  controller.stop();
});

test('zones served from the snapshot are held until the sources have synced', async (t) => {
  const { store, sink, controller, clock } = setup({ preloaded: ['example.test'] });
  controller.start();
  t.deepEqual(sink.calls, ['other.test']);
  store.upsert(ep({ cluster: 'east', targets: ['192.0.2.10'] }));
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(sink.calls, ['other.test'], 'not rebuilt from a half-filled store');
  await controller.ready();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['192.0.2.10']);
  controller.stop();
});

test('with a restored store, snapshot zones are rebuilt from it at once and follow changes without waiting for ready()', async (t) => {
  const store = new EndpointStore();
  store.upsert(ep({ cluster: 'east', targets: ['192.0.2.10'] }));
  store.upsert(ep({ cluster: 'west', targets: ['198.51.100.20'] }));
  const sink = new FakeSink(['example.test']);
  const clock = new ManualClock();
  const desired = desiredFor({ entries: config.entries, store, clock });
  const controller = new Controller({ zones: config.zones, entries: config.entries, desired, sink, logger: new FakeLogger(), storeRestored: true });
  controller.start();
  t.deepEqual(sink.calls, ['other.test'], 'the snapshot zone is not replaced before the restored store is planned');
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['192.0.2.10', '198.51.100.20']);
  // a live cluster's change is served while another cluster is still unread
  store.remove('west/shop/Ingress/web');
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['192.0.2.10']);
  controller.stop();
});

test('load-balancer hostnames are resolved, flattened, and re-resolved on refresh', async (t) => {
  let answer = { v4: ['203.0.113.7'], v6: [] as string[] };
  const asked: string[] = [];
  const { store, sink, controller, clock } = setup({
    lookup: async (h) => {
      asked.push(h);
      return answer;
    },
    refreshMs: 40,
  });
  controller.start();
  await controller.ready();
  store.upsert(ep({ cluster: 'east', targets: ['lb.cloud.example'] }));
  await clock.advance(20);
  await controller.flush();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['203.0.113.7']);
  t.is(sink.values('example.test', 'shop.example.test', 'CNAME'), undefined);

  answer = { v4: ['203.0.113.8'], v6: ['2001:db8::8'] };
  await clock.advance(120);
  await controller.flush();
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'A'), ['203.0.113.8']);
  t.deepEqual(sink.values('example.test', 'shop.example.test', 'AAAA'), ['2001:db8::8']);
  t.true(asked.every((h) => h === 'lb.cloud.example'));
  controller.stop();
});

test('a failed lookup keeps the last good addresses', async (t) => {
  let fail = false;
  const errors: string[] = [];
  const clock = new ManualClock();
  const resolver = new LoadBalancerResolver({
    backend: lookupBackend(async () => {
      if (fail) throw new Error('ENOTFOUND');
      return { v4: ['192.0.2.1'], v6: [] };
    }),
    clock,
    minRefreshMs: 1000,
    maxRefreshMs: 1000,
    onError: (h, e) => errors.push(`${h}: ${e.message}`),
  });
  const changed: string[] = [];
  resolver.onChange((hosts) => changed.push(...hosts));
  await resolver.ensure(['lb.example']);
  fail = true;
  await clock.advance(1000);
  t.deepEqual(changed, [], 'a failure is no change');
  t.deepEqual(resolver.resolved.get('lb.example')?.v4, ['192.0.2.1']);
  t.deepEqual(errors, ['lb.example: ENOTFOUND']);
});

test('with the embedded zone store as sink, changes are patched per name and served', async (t) => {
  const { ZoneStore } = await import('../../src/dns/index.js');
  const zones = new ZoneStore();
  const store = new EndpointStore();
  const clock = new ManualClock();
  const desired = desiredFor({ entries: config.entries, store, clock });
  const controller = new Controller({ zones: config.zones, entries: config.entries, desired, sink: zones, logger: new FakeLogger() });
  controller.start();
  await controller.ready();
  const served = (name: string, type: string) => zones.get('example.test')?.content().records.find((r) => r.name === name && r.type === type)?.values;
  const serialBefore = zones.get('example.test')?.serial ?? 0;

  store.upsert(ep({ cluster: 'east', targets: ['192.0.2.10'] }));
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(served('shop.example.test', 'A'), ['192.0.2.10']);
  t.deepEqual(served('ns1.example.test', 'A'), ['127.0.0.1'], 'static records stay');
  t.true((zones.get('example.test')?.serial ?? 0) > serialBefore, 'the serial grows with the patch');

  store.upsert(ep({ cluster: 'east', targets: ['192.0.2.11'] }));
  await clock.advance(30);
  await controller.flush();
  t.deepEqual(served('shop.example.test', 'A'), ['192.0.2.11']);

  store.remove('east/shop/Ingress/web');
  await clock.advance(30);
  await controller.flush();
  t.is(served('shop.example.test', 'A'), undefined, 'the name is withdrawn');
  t.is(zones.get('example.test')?.size, 2, 'apex and ns1 remain');
  controller.stop();
});
