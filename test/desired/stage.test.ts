// The desired-state stage: the one place desired state is derived. Every claimed name is
// planned once per change, listeners hear exactly the names that changed, and each of the
// three inputs (store, entries, resolver) re-plans what it touched.
import test from 'ava';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { ManualClock } from '../support/clock.js';
import { desiredFor } from '../support/desired.js';
import { appsWildcardEntry, eastShop, eastShopViaLb, ingress, northShop, shopEntry } from '../planner/fixtures.js';

function world(entries: GlobalDnsEntry[], lookup?: (h: string) => Promise<{ v4: string[]; v6: string[] }>) {
  const clock = new ManualClock();
  const store = new EndpointStore();
  const desired = desiredFor({ entries, store, clock, lookup, refreshMs: 1000 });
  const heard: string[][] = [];
  desired.onChange((names) => heard.push([...names].sort()));
  return { clock, store, desired, heard };
}

test('every claimed name is planned, and every rejected claim collected with its name', async (t) => {
  const w = world([shopEntry, appsWildcardEntry]);
  const blog = ingress({ cluster: 'east', name: 'blog', hostnames: ['blog.apps.example.test'], targets: ['192.0.2.30'] });
  const stray = ingress({ cluster: 'east', name: 'stray', hostnames: ['stray.example.test'], targets: ['192.0.2.31'] });
  for (const e of [eastShop, northShop, blog, stray]) w.store.upsert(e);
  await w.desired.flush();
  t.deepEqual(w.desired.get('blog.apps.example.test')?.records, [{ name: 'blog.apps.example.test', type: 'A', ttl: 120, values: ['192.0.2.30'] }]);
  t.is(w.desired.get('blog.apps.example.test')?.entry, appsWildcardEntry, 'the wildcard governs a name below it');
  t.deepEqual(w.desired.get('shop.example.test')?.records, [
    { name: 'shop.example.test', type: 'A', ttl: 300, values: ['192.0.2.10'] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 300, values: ['2001:db8::10'] },
  ]);
  t.deepEqual(w.desired.get('shop.example.test')?.accepted, [eastShop]);
  t.deepEqual(w.desired.rejected().map((r) => `${r.key} ${r.fqdn}`), ['north/shop/Ingress/web shop.example.test', 'east/shop/Ingress/stray stray.example.test']);
  t.deepEqual(w.desired.get('stray.example.test')?.records, [], 'a name no entry covers publishes nothing');
});

test('a store change re-plans only the names it touched, in one batch per debounce', async (t) => {
  const w = world([shopEntry, appsWildcardEntry]);
  w.store.upsert(eastShop);
  w.store.upsert(ingress({ cluster: 'east', name: 'blog', hostnames: ['blog.apps.example.test'], targets: ['192.0.2.30'] }));
  await w.clock.advance(5);
  t.deepEqual(w.heard, [['blog.apps.example.test', 'shop.example.test']], 'two changes within the debounce: one batch');
  w.store.upsert({ ...eastShop, targets: ['192.0.2.11'] });
  await w.clock.advance(5);
  t.deepEqual(w.heard.at(-1), ['shop.example.test']);
  t.deepEqual(w.desired.get('shop.example.test')?.records.flatMap((r) => r.values), ['192.0.2.11']);
  w.store.remove('east/shop/Ingress/web');
  await w.clock.advance(5);
  t.deepEqual(w.heard.at(-1), ['shop.example.test']);
  t.is(w.desired.get('shop.example.test'), undefined, 'an unclaimed name has no state');
  t.deepEqual([...w.desired.names()], ['blog.apps.example.test']);
});

test('new entries re-plan every name: a name whose entry goes publishes nothing, one that gains one publishes', async (t) => {
  const w = world([shopEntry]);
  const blog = ingress({ cluster: 'east', name: 'blog', hostnames: ['blog.apps.example.test'], targets: ['192.0.2.30'] });
  w.store.upsert(eastShop);
  w.store.upsert(blog);
  await w.desired.flush();
  t.deepEqual(w.desired.get('blog.apps.example.test')?.records, []);
  w.desired.setEntries([appsWildcardEntry]);
  await w.desired.flush();
  t.deepEqual(w.heard.at(-1), ['blog.apps.example.test', 'shop.example.test']);
  t.deepEqual(w.desired.get('shop.example.test')?.records, []);
  t.deepEqual(w.desired.get('blog.apps.example.test')?.records.flatMap((r) => r.values), ['192.0.2.30']);
  t.is(w.desired.entryFor('x.apps.example.test'), appsWildcardEntry, 'entryFor answers for unclaimed names too');
});

test('a load-balancer hostname whose addresses change re-plans the names using it, and only those', async (t) => {
  let lb = ['203.0.113.7'];
  const w = world([shopEntry, appsWildcardEntry], async (h) => ({ v4: h === 'lb.cloud.example' ? lb : [], v6: [] }));
  w.store.upsert(eastShopViaLb);
  w.store.upsert(ingress({ cluster: 'east', name: 'blog', hostnames: ['blog.apps.example.test'], targets: ['192.0.2.30'] }));
  await w.desired.flush();
  t.deepEqual(w.desired.get('shop.example.test')?.records.flatMap((r) => r.values), ['203.0.113.7']);
  t.deepEqual(w.desired.addresses(eastShopViaLb), ['203.0.113.7']);
  const before = w.heard.length;
  lb = ['203.0.113.8'];
  await w.clock.advance(1000); // the refresh (TTL floor and ceiling 1 s here)
  await w.clock.advance(10); // the stage's debounce
  t.deepEqual(w.heard.slice(before), [['shop.example.test']]);
  t.deepEqual(w.desired.get('shop.example.test')?.records.flatMap((r) => r.values), ['203.0.113.8']);
});

test('plans for an aliasing provider are made on demand and follow the next re-plan', async (t) => {
  const w = world([shopEntry], async () => ({ v4: ['203.0.113.7'], v6: [] }));
  w.store.upsert({ ...eastShopViaLb, targets: ['my-lb.us-east-1.elb.amazonaws.com'] });
  await w.desired.flush();
  const alias = (h: string) => h.endsWith('.elb.amazonaws.com');
  const first = w.desired.records('shop.example.test', alias);
  t.deepEqual(first.flatMap((r) => r.values), ['my-lb.us-east-1.elb.amazonaws.com'], 'aliased, not flattened');
  t.is(w.desired.records('shop.example.test', alias), first, 'made once per name and capability');
  t.deepEqual(w.desired.records('shop.example.test').flatMap((r) => r.values), ['203.0.113.7'], 'flattened for the others');
  w.store.upsert({ ...eastShopViaLb, targets: ['other-lb.us-east-1.elb.amazonaws.com'] });
  await w.desired.flush();
  t.deepEqual(w.desired.records('shop.example.test', alias).flatMap((r) => r.values), ['other-lb.us-east-1.elb.amazonaws.com']);
});

test('a consumer that throws does not stop the others, nor the next batch', async (t) => {
  const w = world([shopEntry]);
  w.desired.onChange(() => {
    throw new Error('a bug in a consumer');
  });
  const after: string[] = [];
  w.desired.onChange((names) => after.push(...names));
  w.store.upsert(eastShop);
  await w.desired.flush();
  w.store.upsert({ ...eastShop, targets: ['192.0.2.12'] });
  await w.desired.flush();
  t.deepEqual(after, ['shop.example.test', 'shop.example.test']);
  t.deepEqual(w.desired.get('shop.example.test')?.records.flatMap((r) => r.values), ['192.0.2.12']);
});
