// The EndpointStore persisted in the state directory (issue 12): what a restart restores, what
// it does with a file it cannot use, and how a cluster unreachable since the restart treats
// its restored endpoints (the same rule as a cluster lost while running), on a manual clock.
import test from 'ava';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterFleet, EndpointStore, KubeClusterSource, StoreSnapshot, STORE_SNAPSHOT_FILE } from '../../src/sources/index.js';
import type { Endpoint } from '../../src/model/index.js';
import { FakeApi, ManualClock, RecordingLogger, ingress } from './kubernetes/fakes.js';

const ep = (o: Partial<Endpoint> & Pick<Endpoint, 'cluster' | 'hostnames' | 'targets'>): Endpoint => ({ namespace: 'default', kind: 'Ingress', name: 'web', ...o });

async function stateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gdns-store-snapshot-'));
}

/** Writes `store` to `dir` through a StoreSnapshot, as a running process does. */
async function save(dir: string, endpoints: Endpoint[]): Promise<void> {
  const store = new EndpointStore();
  const snap = new StoreSnapshot({ stateDir: dir, store, debounceMs: 0, clock: new ManualClock() });
  snap.start();
  for (const e of endpoints) store.upsert(e);
  await snap.flush();
  snap.stop();
}

test('the store is written after changes and restored whole, only for the clusters still configured', async (t) => {
  const dir = await stateDir();
  const clock = new ManualClock();
  const store = new EndpointStore();
  const snap = new StoreSnapshot({ stateDir: dir, store, debounceMs: 1000, clock });
  snap.start();
  const east = ep({ cluster: 'east', hostnames: ['shop.example.test'], targets: ['192.0.2.1'], project: 'c-1:p-1', namespaceLabels: { team: 'a' }, ttl: 30, paths: { 'shop.example.test': ['/api'] } });
  store.upsert(east);
  store.upsert(ep({ cluster: 'gone', hostnames: ['old.example.test'], targets: ['192.0.2.9'] }));
  await clock.advance(999);
  await snap.flush();
  t.true((await readdir(dir)).includes(STORE_SNAPSHOT_FILE), 'written when flushed');
  store.upsert({ ...east, targets: ['192.0.2.2'] });
  await clock.advance(1000); // the debounced write
  await snap.flush();
  t.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');

  const restored = new EndpointStore();
  const log = new RecordingLogger();
  t.true(await new StoreSnapshot({ stateDir: dir, store: restored, logger: log }).restore((c) => c === 'east'));
  t.deepEqual(restored.all(), [{ ...east, targets: ['192.0.2.2'] }]);
  t.deepEqual(log.messages('info'), ['endpoints restored from the state directory']);
});

test('no file: nothing restored, nothing logged', async (t) => {
  const log = new RecordingLogger();
  const store = new EndpointStore();
  t.false(await new StoreSnapshot({ stateDir: await stateDir(), store, logger: log }).restore(() => true));
  t.is(store.size, 0);
  t.deepEqual(log.lines, []);
});

for (
  const [label, text, reason] of [
    ['truncated JSON', '{"kind":"globaldns-endpoints","format":1,"endpoints":[{"clus', 'not JSON'],
    ['a foreign file', '{"format":1,"zones":[]}', 'not a globaldns endpoint snapshot (kind missing)'],
    ['another format', '{"kind":"globaldns-endpoints","format":2,"endpoints":[]}', 'format 2, this version reads format 1'],
    ['a malformed endpoint', '{"kind":"globaldns-endpoints","format":1,"endpoints":[{"cluster":"east","namespace":"default","kind":"Ingress","name":"web","hostnames":["a.example.test"],"targets":[42]}]}', 'endpoint 0: targets'],
  ] as const
) {
  test(`${label}: ignored with a clear log line, kept aside, never a crash`, async (t) => {
    const dir = await stateDir();
    await writeFile(join(dir, STORE_SNAPSHOT_FILE), text);
    const log = new RecordingLogger();
    const store = new EndpointStore();
    const snap = new StoreSnapshot({ stateDir: dir, store, logger: log, debounceMs: 0, clock: new ManualClock() });
    t.false(await snap.restore(() => true));
    t.is(store.size, 0);
    const file = join(dir, STORE_SNAPSHOT_FILE);
    t.deepEqual(log.messages('error'), [`endpoint snapshot ${file} ignored: ${reason} (moved to ${file}.bad)`]);
    t.is(await readFile(`${file}.bad`, 'utf8'), text, 'the bad file is kept for a person to look at');
    // and the process goes on writing a good one
    snap.start();
    store.upsert(ep({ cluster: 'east', hostnames: ['a.example.test'], targets: ['192.0.2.1'] }));
    await snap.flush();
    const again = new EndpointStore();
    t.true(await new StoreSnapshot({ stateDir: dir, store: again }).restore(() => true));
    t.is(again.size, 1);
  });
}

// ---- a restart with cluster east unreachable -------------------------------------------------

const GRACE = 60_000;
const refused = Object.assign(new Error('request to https://127.0.0.1:1/ failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

test('after a restart an unreachable cluster keeps its last endpoints under the last-cluster rule; a listed one replaces its own', async (t) => {
  const dir = await stateDir();
  // What the previous run saw: east and west both serve shop; only east serves only-east;
  // only west serves b.
  await save(dir, [
    ep({ cluster: 'east', hostnames: ['shop.example.test', 'only-east.example.test'], targets: ['192.0.2.1'] }),
    ep({ cluster: 'west', hostnames: ['shop.example.test'], targets: ['198.51.100.1'] }),
    ep({ cluster: 'west', name: 'b', hostnames: ['b.example.test'], targets: ['198.51.100.7'] }),
  ]);

  const clock = new ManualClock();
  const store = new EndpointStore();
  const fleet = new ClusterFleet(store);
  const log = new RecordingLogger();
  t.true(await new StoreSnapshot({ stateDir: dir, store, logger: log }).restore(() => true));
  const cluster = (name: string, api: FakeApi) => new KubeClusterSource({ cluster: name, api, store, fleet, gracePeriodMs: GRACE, watchdogMs: 600_000, backoff: { initialMs: 1000, maxMs: 4000 }, clock, random: () => 0, logger: log });
  const eastApi = new FakeApi();
  eastApi.down = true;
  eastApi.downError = refused;
  const westApi = new FakeApi();
  // Meanwhile west dropped b and moved shop.
  westApi.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['198.51.100.2'] }));
  const east = cluster('east', eastApi);
  const west = cluster('west', westApi);
  const targets = (name: string) => store.byName(name).map((e) => `${e.cluster}:${e.targets.join(',')}`).sort();

  east.start();
  west.start();
  await clock.advance(0);
  t.is(west.phase, 'Synced');
  t.is(east.phase, 'Degraded');
  // (a) west's listing replaced its restored endpoints wholesale, at once
  t.deepEqual(targets('b.example.test'), []);
  // within east's grace its last endpoints stay, beside west's live ones
  t.deepEqual(targets('shop.example.test'), ['east:192.0.2.1', 'west:198.51.100.2']);
  t.deepEqual(targets('only-east.example.test'), ['east:192.0.2.1']);

  await clock.advance(GRACE);
  t.is(east.phase, 'Lost');
  // (b) the last cluster serving a name keeps serving it
  t.deepEqual(targets('only-east.example.test'), ['east:192.0.2.1']);
  t.deepEqual(east.state().keptStale, ['only-east.example.test']);
  // (c) where a live cluster serves the name, east's stale addresses go
  t.deepEqual(targets('shop.example.test'), ['west:198.51.100.2']);

  // West claims only-east too, then drops it: east's restored endpoint goes and comes back.
  westApi.put('Ingress', ingress({ name: 'oe', hosts: 'only-east.example.test', ips: ['198.51.100.3'] }));
  await clock.advance(0);
  t.deepEqual(targets('only-east.example.test'), ['west:198.51.100.3']);
  westApi.delete('Ingress', 'default', 'oe');
  await clock.advance(0);
  t.deepEqual(targets('only-east.example.test'), ['east:192.0.2.1']);

  // East is reachable again: its list replaces the restored endpoints wholesale.
  eastApi.objects.Ingress.push(ingress({ name: 'new', hosts: 'shop.example.test', ips: ['192.0.2.5'] }));
  eastApi.down = false;
  await clock.advance(4000);
  t.is(east.phase, 'Synced');
  t.deepEqual(targets('shop.example.test'), ['east:192.0.2.5', 'west:198.51.100.2']);
  t.deepEqual(targets('only-east.example.test'), []);
  east.stop();
  west.stop();
});
