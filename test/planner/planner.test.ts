import test from 'ava';
import { findEntry, indexEntries, planName, projectMatches, targetHostnames } from '../../src/planner/index.js';
import type { ResolvedAddresses } from '../../src/planner/index.js';
import { appsWildcardEntry, eastShop, eastShopViaLb, ingress, northShop, shopEntry, westShopInProject, westShopNoProject, westShopOtherProject } from './fixtures.js';

const none = new Map<string, ResolvedAddresses>();

test('targets of the entry contribute; v4 and v6 are split into A and AAAA', (t) => {
  const plan = planName('shop.example.test', shopEntry, [eastShop, westShopInProject], none);
  t.deepEqual(plan.records, [
    { name: 'shop.example.test', type: 'A', ttl: 300, values: ['192.0.2.10', '198.51.100.20'] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 300, values: ['2001:db8::10'] },
  ]);
  t.deepEqual(plan.rejected, []);
});

test('clusters outside the entry and projects outside the target are rejected, with reasons', (t) => {
  const plan = planName('shop.example.test', shopEntry, [eastShop, northShop, westShopOtherProject, westShopNoProject], none);
  t.deepEqual(plan.records.map((r) => [r.type, r.values]), [
    ['A', ['192.0.2.10']],
    ['AAAA', ['2001:db8::10']],
  ]);
  t.deepEqual(plan.rejected, [
    { key: 'north/shop/Ingress/web', fqdn: 'shop.example.test', reason: 'cluster north is not a target of entry shop.example.test' },
    {
      key: 'west/loose/Ingress/web',
      fqdn: 'shop.example.test',
      reason: 'namespace loose of cluster west is in no Rancher project; entry shop.example.test accepts projects c-abc12:p-xyz34',
    },
    { key: 'west/other/Ingress/web', fqdn: 'shop.example.test', reason: 'project c-abc12:p-other of cluster west is not a target of entry shop.example.test' },
  ]);
});

test('a name no entry covers: every claim is rejected, no records', (t) => {
  const stray = ingress({ cluster: 'east', hostnames: ['stray.example.test'], targets: ['192.0.2.1'] });
  const plan = planName('stray.example.test', undefined, [stray], none);
  t.deepEqual(plan.records, []);
  t.deepEqual(plan.rejected, [{ key: 'east/shop/Ingress/web', fqdn: 'stray.example.test', reason: 'no entry covers stray.example.test' }]);
});

test('load-balancer hostnames are flattened into A/AAAA, never a CNAME', (t) => {
  const resolved = new Map<string, ResolvedAddresses>([
    ['lb.cloud.example', { v4: ['203.0.113.5', '192.0.2.10'], v6: ['2001:DB8:0:0::5'] }],
    // lb2 not resolved yet: it contributes nothing for now.
  ]);
  t.deepEqual([...targetHostnames([eastShop, eastShopViaLb])], ['lb.cloud.example', 'lb2.cloud.example']);
  const plan = planName('shop.example.test', shopEntry, [eastShop, eastShopViaLb], resolved);
  t.deepEqual(plan.records, [
    { name: 'shop.example.test', type: 'A', ttl: 300, values: ['192.0.2.10', '203.0.113.5'] },
    { name: 'shop.example.test', type: 'AAAA', ttl: 300, values: ['2001:db8::5', '2001:db8::10'] },
  ]);
  t.false(plan.records.some((r) => r.type === 'CNAME'));
});

test('addresses are de-duplicated across spellings and sorted numerically', (t) => {
  const a = ingress({ cluster: 'east', name: 'a', targets: ['192.0.2.100', '10.0.0.9', '2001:db8::1'] });
  const b = ingress({ cluster: 'east', name: 'b', targets: ['192.0.2.9', '10.0.0.9', '2001:DB8:0::1', '::ffff:1'] });
  const plan = planName('shop.example.test', shopEntry, [a, b], none);
  t.deepEqual(plan.records.map((r) => r.values), [
    ['10.0.0.9', '192.0.2.9', '192.0.2.100'],
    ['::ffff:1', '2001:db8::1'],
  ]);
});

test('ttl is the smallest of the entry ttl and contributing endpoint ttls', (t) => {
  const fast = ingress({ cluster: 'east', name: 'fast', targets: ['192.0.2.1'], ttl: 30 });
  const slow = ingress({ cluster: 'east', name: 'slow', targets: ['192.0.2.2'], ttl: 3600 });
  const rejectedFast = ingress({ cluster: 'north', name: 'x', targets: ['192.0.2.3'], ttl: 5 });
  t.is(planName('shop.example.test', shopEntry, [slow], none).records[0].ttl, 300);
  t.is(planName('shop.example.test', shopEntry, [slow, fast, rejectedFast], none).records[0].ttl, 30);
});

test('a name with no addresses has no record set', (t) => {
  const pending = ingress({ cluster: 'east', targets: [] });
  const unresolved = ingress({ cluster: 'east', name: 'lb', targets: ['lb.cloud.example'] });
  t.deepEqual(planName('shop.example.test', shopEntry, [pending, unresolved], none).records, []);
});

test('wildcard entries govern names below them; project ids match in either Rancher form', (t) => {
  const index = indexEntries([shopEntry, appsWildcardEntry]);
  t.is(findEntry('shop.example.test', index), shopEntry);
  t.is(findEntry('blog.apps.example.test', index), appsWildcardEntry);
  t.is(findEntry('a.b.apps.example.test', index), appsWildcardEntry);
  t.is(findEntry('*.apps.example.test', index), appsWildcardEntry);
  t.is(findEntry('apps.example.test', index), undefined);
  t.true(projectMatches('c-abc12:p-xyz34', 'p-xyz34'));
  t.true(projectMatches('p-xyz34', 'c-abc12:p-xyz34'));
  t.false(projectMatches('c-abc12:p-xyz34', 'c-other:p-xyz34'));
  t.false(projectMatches('c-abc12:p-xyz34', 'p-other'));
});
