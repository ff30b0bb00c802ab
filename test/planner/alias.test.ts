// Alias planning for providers with alias records (Route53 → AWS load balancers): a name
// served by one load balancer is one alias set; several clusters behind different balancers
// (or addresses) become weighted sets, one per cluster; without the capability nothing changes.
import test from 'ava';
import { ALIAS_WEIGHT, canonicalAliasTarget, isAliasSet, planName, plan as diff, sameContent } from '../../src/planner/index.js';
import type { ResolvedAddresses } from '../../src/planner/index.js';
import type { Endpoint, GlobalDnsEntry, RecordSet } from '../../src/model/index.js';

const entry: GlobalDnsEntry = { fqdn: 'shop.example.test', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }, { cluster: 'west' }] };
const ep = (cluster: string, targets: string[], name = 'web'): Endpoint => ({
  cluster,
  namespace: 'default',
  kind: 'Ingress',
  name,
  hostnames: ['shop.example.test'],
  targets,
});
const LB_EAST = 'my-lb-123.us-east-1.elb.amazonaws.com';
const LB_WEST = 'net-lb-456.elb.us-west-2.amazonaws.com';
const OTHER = 'lb.other-cloud.example.net';
const elb = (h: string): boolean => h.endsWith('.elb.amazonaws.com') || /\.elb\.[a-z0-9-]+\.amazonaws\.com$/.test(h);
const resolved = new Map<string, ResolvedAddresses>([
  [LB_EAST, { v4: ['192.0.2.50', '192.0.2.51'], v6: [] }],
  [LB_WEST, { v4: ['198.51.100.50'], v6: ['2001:db8::50'] }],
  [OTHER, { v4: ['203.0.113.7'], v6: [] }],
]);
const opts = { aliasHostnames: elb };

test('one load balancer behind every endpoint: one alias A set, no flattening', (t) => {
  const p = planName('shop.example.test', entry, [ep('east', [LB_EAST]), ep('east', [`${LB_EAST.toUpperCase()}.`], 'api')], resolved, opts);
  t.deepEqual(p.records, [{ name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST] }]);
});

test('the same alias is planned before the hostname resolves', (t) => {
  const p = planName('shop.example.test', entry, [ep('east', [LB_EAST])], new Map(), opts);
  t.deepEqual(p.records, [{ name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST] }]);
});

test('a dualstack balancer (resolves to IPv6) gets an alias AAAA as well', (t) => {
  const p = planName('shop.example.test', entry, [ep('west', [LB_WEST])], resolved, opts);
  t.deepEqual(p.records, [
    { name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_WEST] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 60, values: [LB_WEST] },
  ]);
});

test('two clusters behind two balancers: weighted alias sets, one per cluster', (t) => {
  const p = planName('shop.example.test', entry, [ep('west', [LB_WEST]), ep('east', [LB_EAST])], resolved, opts);
  t.deepEqual(p.records, [
    { name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST], setIdentifier: 'east', weight: ALIAS_WEIGHT },
    { name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_WEST], setIdentifier: 'west', weight: ALIAS_WEIGHT },
    // Only west's balancer has IPv6: the AAAA side is a single alias, not weighted.
    { name: 'shop.example.test', type: 'AAAA', ttl: 60, values: [LB_WEST] },
  ]);
});

test("a balancer and addresses: weighted, the addresses as their cluster's plain set", (t) => {
  const p = planName('shop.example.test', entry, [ep('east', [LB_EAST]), ep('west', ['198.51.100.1', '2001:db8::1', OTHER])], resolved, opts);
  t.deepEqual(p.records, [
    { name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST], setIdentifier: 'east', weight: 1 },
    { name: 'shop.example.test', type: 'A', ttl: 60, values: ['198.51.100.1', '203.0.113.7'], setIdentifier: 'west', weight: 1 },
    { name: 'shop.example.test', type: 'AAAA', ttl: 60, values: ['2001:db8::1'] },
  ]);
});

test('one cluster with addresses and a balancer: the balancer set is named after both', (t) => {
  const p = planName('shop.example.test', entry, [ep('east', ['192.0.2.1', LB_EAST])], resolved, opts);
  t.deepEqual(p.records.map((r) => [r.type, r.setIdentifier, r.values]), [
    ['A', 'east', ['192.0.2.1']],
    ['A', `east/${LB_EAST}`, [LB_EAST]],
  ]);
});

test('one balancer published by two clusters is one alias set', (t) => {
  const p = planName('shop.example.test', entry, [ep('east', [LB_EAST]), ep('west', [LB_EAST])], resolved, opts);
  t.deepEqual(p.records, [{ name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST] }]);
});

test('names without an alias-capable hostname are flattened as before', (t) => {
  const eps = [ep('east', ['192.0.2.1', OTHER]), ep('west', ['2001:db8::1'])];
  t.deepEqual(planName('shop.example.test', entry, eps, resolved, opts), planName('shop.example.test', entry, eps, resolved));
  t.deepEqual(planName('shop.example.test', entry, eps, resolved, opts).records, [
    { name: 'shop.example.test', type: 'A', ttl: 60, values: ['192.0.2.1', '203.0.113.7'] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 60, values: ['2001:db8::1'] },
  ]);
});

test('without the capability (embedded server, other providers) balancers are flattened', (t) => {
  const p = planName('shop.example.test', entry, [ep('east', [LB_EAST]), ep('west', [LB_WEST])], resolved);
  t.deepEqual(p.records, [
    { name: 'shop.example.test', type: 'A', ttl: 60, values: ['192.0.2.50', '192.0.2.51', '198.51.100.50'] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 60, values: ['2001:db8::50'] },
  ]);
});

test('rejected endpoints contribute no alias', (t) => {
  const p = planName('shop.example.test', entry, [ep('north', [LB_EAST]), ep('west', ['198.51.100.1'])], resolved, opts);
  t.deepEqual(p.records, [{ name: 'shop.example.test', type: 'A', ttl: 60, values: ['198.51.100.1'] }]);
  t.is(p.rejected.length, 1);
});

test('alias sets compare by canonical target, whatever the TTL read back', (t) => {
  t.is(canonicalAliasTarget(`dualstack.${LB_EAST.toUpperCase()}.`), LB_EAST);
  t.true(isAliasSet({ type: 'A', values: [LB_EAST] }));
  t.false(isAliasSet({ type: 'A', values: ['192.0.2.1'] }));
  const want: RecordSet = { name: 'shop.example.test', type: 'A', ttl: 60, values: [LB_EAST] };
  t.true(sameContent(want, { ...want, ttl: 0, values: [`dualstack.${LB_EAST}.`] }));
  t.false(sameContent(want, { ...want, ttl: 0, values: [LB_WEST] }));
  t.false(sameContent(want, { ...want, ttl: 0, values: ['192.0.2.50'] }));
  t.false(sameContent(want, { ...want, weight: 1, setIdentifier: 'east' }));
  t.false(sameContent({ ...want, values: ['192.0.2.1'] }, { ...want, ttl: 0, values: ['192.0.2.1'] }), 'plain sets still compare TTLs');
});

test('the diff leaves an alias read back with TTL 0 alone, and replaces it by addresses', (t) => {
  const want = planName('shop.example.test', entry, [ep('east', [LB_EAST])], resolved, opts).records;
  const first = diff(want, [], { ownerId: 'o', policy: 'sync' });
  t.is(first.plan.creates.length, 2, 'alias set + companion');
  const companion = first.plan.creates[1];
  const current: RecordSet[] = [{ name: 'shop.example.test', type: 'A', ttl: 0, values: [`dualstack.${LB_EAST}`] }, companion];
  const again = diff(want, current, { ownerId: 'o', policy: 'sync' });
  t.deepEqual(again.plan, { creates: [], updates: [], deletes: [] });
  const ips = planName('shop.example.test', entry, [ep('east', ['192.0.2.9'])], resolved, opts).records;
  const moved = diff(ips, current, { ownerId: 'o', policy: 'sync' });
  t.deepEqual(moved.plan.updates.map((u) => [u.from.values, u.to.values]), [[[`dualstack.${LB_EAST}`], ['192.0.2.9']]]);
});

test('pure alias → weighted: the unweighted set and its companion go, weighted ones with companions come', (t) => {
  const single = planName('shop.example.test', entry, [ep('east', [LB_EAST])], resolved, opts).records;
  const current = diff(single, [], { ownerId: 'o', policy: 'sync' }).plan.creates;
  const weighted = planName('shop.example.test', entry, [ep('east', [LB_EAST]), ep('west', ['198.51.100.1'])], resolved, opts).records;
  const { plan: p } = diff(weighted, current, { ownerId: 'o', policy: 'sync' });
  t.deepEqual(p.deletes.map((r) => [r.type, r.setIdentifier]), [['A', undefined], ['TXT', undefined]]);
  t.deepEqual(p.creates.map((r) => [r.type, r.setIdentifier, r.weight]), [['A', 'east', 1], ['TXT', 'east', 1], ['A', 'west', 1], ['TXT', 'west', 1]]);
});
