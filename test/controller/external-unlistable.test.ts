// A zone the provider may write but not list (RFC 2136 on a real knotd whose key has no
// transfer right): the controller plans it upsert-only whatever the binding's policy says,
// writes and updates its own records, never deletes, never overwrites someone else's record,
// and its status says why.
import test from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { EntrySyncStatus } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { startRfc2136World } from '../providers/rfc2136/backend.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ingress = (name: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name, hostnames: [`${name}.example.org`], targets: [ip] });

test('no AXFR rights: upsert-only under a sync policy, foreign records kept, status says so', async (t) => {
  t.timeout(90_000);
  const w = await startRfc2136World('knot', { transfer: false });
  t.teardown(() => w.stop());
  await w.seed([{ name: 'api.example.org', type: 'A', ttl: 600, values: ['203.0.113.1'] }]);

  const entries: GlobalDnsEntry[] = ['shop', 'api', 'blog'].map((n) => ({ fqdn: `${n}.example.org`, ttl: 600, provider: 'knot', targets: [{ cluster: 'east' }] }));
  const store = new EndpointStore();
  store.upsert(ingress('shop', '192.0.2.1'));
  store.upsert(ingress('api', '192.0.2.2'));
  store.upsert(ingress('blog', '192.0.2.3'));
  const statuses = new Map<string, EntrySyncStatus>();
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
    bindings: [{ name: 'knot', provider: w.provider, ownerId: 'gdns', policy: 'sync' }],
    logger: silent,
    resync: false,
    debounceMs: 10,
    maxDelayMs: 50,
    retryInitialMs: 60_000,
    onStatus: (s) => statuses.set(s.fqdn, s),
    clock,
  });
  t.teardown(() => controller.stop());
  await controller.start();

  const find = async (name: string, type = 'A') => (await w.read()).find((r) => r.name === name && r.type === type);
  t.deepEqual((await find('shop.example.org'))?.values, ['192.0.2.1'], 'ours written');
  t.regex((await find('_globaldns-a.shop.example.org', 'TXT'))?.values.join(' ') ?? '', /owner=gdns/, 'with its ownership record');
  t.deepEqual((await find('api.example.org'))?.values, ['203.0.113.1'], 'a foreign record is not overwritten');
  t.is(statuses.get('api.example.org')?.synced, false, 'and the name says it was not written');
  t.regex(statuses.get('shop.example.org')?.message ?? '', /upsert-only/, 'the status says the zone is written upsert-only');
  t.deepEqual([...controller.upsertOnlyZones('knot').keys()], ['example.org']);

  // An update goes through; a removal deletes nothing.
  store.upsert(ingress('blog', '192.0.2.30'));
  store.remove('east/default/Ingress/shop');
  await clock.advance(100);
  await controller.flush();
  t.deepEqual((await find('blog.example.org'))?.values, ['192.0.2.30'], 'updated');
  t.deepEqual((await find('shop.example.org'))?.values, ['192.0.2.1'], 'never deleted: the zone cannot be listed, so nothing is proven ours');
});
