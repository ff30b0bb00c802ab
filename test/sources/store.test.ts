import test from 'ava';
import type { Endpoint } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';

function ep(over: Partial<Endpoint> = {}): Endpoint {
  return { cluster: 'east', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: ['192.0.2.10'], ...over };
}

test('upsert indexes by hostname and reports touched names', (t) => {
  const store = new EndpointStore();
  const events: string[][] = [];
  store.onChange((names) => events.push([...names].sort()));
  t.deepEqual([...store.upsert(ep())], ['shop.example.test']);
  t.deepEqual(store.byName('shop.example.test').map((e) => e.targets), [['192.0.2.10']]);
  t.deepEqual(store.byName('other.example.test'), []);
  // Identical upsert: nothing touched, no event.
  t.is(store.upsert(ep()).size, 0);
  // Moving the claim touches the old and the new name.
  t.deepEqual([...store.upsert(ep({ hostnames: ['new.example.test'] }))].sort(), ['new.example.test', 'shop.example.test']);
  t.deepEqual(store.byName('shop.example.test'), []);
  t.is(store.byName('new.example.test').length, 1);
  // A target-only change touches the names it claims.
  t.deepEqual([...store.upsert(ep({ hostnames: ['new.example.test'], targets: ['192.0.2.11'] }))], ['new.example.test']);
  t.deepEqual(events, [['shop.example.test'], ['new.example.test', 'shop.example.test'], ['new.example.test']]);
});

test('remove drops the endpoint from the index', (t) => {
  const store = new EndpointStore();
  store.upsert(ep());
  store.upsert(ep({ cluster: 'west' }));
  t.is(store.byName('shop.example.test').length, 2);
  t.deepEqual([...store.remove('east/shop/Ingress/web')], ['shop.example.test']);
  t.deepEqual(store.byName('shop.example.test').map((e) => e.cluster), ['west']);
  t.is(store.remove('east/shop/Ingress/web').size, 0);
  t.deepEqual(store.names(), ['shop.example.test']);
  t.is(store.size, 1);
});

test('replaceCluster diffs one cluster and emits a single event', (t) => {
  const store = new EndpointStore();
  store.upsert(ep({ name: 'a', hostnames: ['a.example.test'] }));
  store.upsert(ep({ name: 'b', hostnames: ['b.example.test'] }));
  store.upsert(ep({ cluster: 'west', name: 'a', hostnames: ['a.example.test'] }));
  const events: string[][] = [];
  store.onChange((names) => events.push([...names].sort()));
  const touched = store.replaceCluster('east', [
    ep({ name: 'a', hostnames: ['a.example.test'] }), // unchanged
    ep({ name: 'c', hostnames: ['c.example.test'] }), // new
  ]);
  t.deepEqual([...touched].sort(), ['b.example.test', 'c.example.test']);
  t.deepEqual(events, [['b.example.test', 'c.example.test']]);
  t.deepEqual(store.byClusterName('east').map((e) => e.name).sort(), ['a', 'c']);
  t.is(store.byName('a.example.test').length, 2, 'the other cluster is untouched');
  t.throws(() => store.replaceCluster('east', [ep({ cluster: 'west' })]));
});

test('the store keeps its own copy of an endpoint', (t) => {
  const store = new EndpointStore();
  const e = ep();
  store.upsert(e);
  e.targets.push('192.0.2.99');
  t.deepEqual(store.byName('shop.example.test')[0].targets, ['192.0.2.10']);
});
