// Cloudflare's proxy flag through the planner: an entry's `proxied` reaches its address sets
// (never their ownership TXT), and the diff counts the flag only when the desired set states
// it, so a provider-wide default read back from Cloudflare causes no update.
import test from 'ava';
import type { RecordSet } from '../../src/model/index.js';
import { plan, planName, sameContent } from '../../src/planner/index.js';
import type { PlanOptions, ResolvedAddresses } from '../../src/planner/index.js';
import { eastShop, shopEntry, westShopInProject } from './fixtures.js';
import { OWNER, lines, rrset, stamp, withSet } from './records.js';

const sync: PlanOptions = { ownerId: OWNER, policy: 'sync' };
const none = new Map<string, ResolvedAddresses>();

const shopA = rrset('shop.example.test. 300 IN A 192.0.2.10');
const shopAProxied = withSet(shopA, { proxied: true });
const shopADnsOnly = withSet(shopA, { proxied: false });
/** Name, type and proxied flag of each set (- when it states none). */
const flags = (sets: RecordSet[]) => sets.map((r) => `${r.name} ${r.type} ${r.proxied === undefined ? '-' : r.proxied ? 'proxied' : 'dns-only'}`);

test('an entry that states proxied puts it on each of its A and AAAA sets; one that does not leaves the field out', (t) => {
  const on = planName('shop.example.test', { ...shopEntry, proxied: true }, [eastShop, westShopInProject], none);
  t.deepEqual(flags(on.records), ['shop.example.test A proxied', 'shop.example.test AAAA proxied']);
  const off = planName('shop.example.test', { ...shopEntry, proxied: false }, [eastShop], none);
  t.deepEqual(flags(off.records), ['shop.example.test A dns-only', 'shop.example.test AAAA dns-only']);
  const unset = planName('shop.example.test', shopEntry, [eastShop], none);
  t.false(unset.records.some((r) => 'proxied' in r), 'no proxied key at all when the entry says nothing');
});

test('ownership TXT records are never proxied', (t) => {
  const desired = planName('shop.example.test', { ...shopEntry, proxied: true }, [eastShop], none).records;
  const { plan: p } = plan(desired, [], sync);
  t.deepEqual(flags(p.creates), [
    'shop.example.test A proxied',
    '_globaldns-a.shop.example.test TXT -',
    'shop.example.test AAAA proxied',
    '_globaldns-aaaa.shop.example.test TXT -',
  ]);
});

test('a stated flag that differs from what the provider holds is an update of that set only', (t) => {
  const api = rrset('api.example.test. 300 IN A 192.0.2.20');
  const current = [shopADnsOnly, stamp(shopA), withSet(api, { proxied: false }), stamp(api)];
  const { plan: p, conflicts } = plan([shopAProxied, api], current, sync);
  t.deepEqual(conflicts, []);
  t.deepEqual(p.creates, []);
  t.deepEqual(p.deletes, []);
  t.deepEqual(p.updates.map((u) => `${u.to.name} ${u.from.proxied} -> ${u.to.proxied}`), ['shop.example.test false -> true']);

  const back = plan([shopADnsOnly], [shopAProxied, stamp(shopA)], sync).plan;
  t.deepEqual(back.updates.map((u) => `${u.to.name} ${u.from.proxied} -> ${u.to.proxied}`), ['shop.example.test true -> false']);
});

test('a desired set that leaves proxied undefined ignores what the provider reads back', (t) => {
  // A provider-wide `proxied: true` on Cloudflare reads back as proxied:true (TTL automatic: 300).
  const { plan: p } = plan([shopA], [shopAProxied, stamp(shopA)], sync);
  t.deepEqual(lines(p), []);
  t.true(sameContent(shopA, shopAProxied));
  t.true(sameContent(shopADnsOnly, shopA), 'a provider that does not read the flag (Route53 & co.) never differs');
});

test("a proxied set's TTL is Cloudflare's automatic one: not compared, so a resync does not churn", (t) => {
  const wanted = withSet(shopAProxied, { ttl: 60 });
  const readBack = withSet(shopAProxied, { ttl: 300 });
  t.deepEqual(lines(plan([wanted], [readBack, stamp(wanted)], sync).plan), []);
  // Provider-wide proxying, entry silent: the same.
  t.deepEqual(lines(plan([withSet(shopA, { ttl: 60 })], [readBack, stamp(wanted)], sync).plan), []);
  // Not proxied: the TTL counts as always.
  t.false(sameContent(withSet(shopADnsOnly, { ttl: 60 }), shopADnsOnly));
  // Switching proxying off brings the TTL back: an update.
  const off = plan([withSet(shopADnsOnly, { ttl: 60 })], [readBack, stamp(wanted)], sync).plan;
  t.is(off.updates.length, 1);
  t.like(off.updates[0]?.to, { proxied: false, ttl: 60 });
});

test('values still count on a proxied set', (t) => {
  const moved = withSet(rrset('shop.example.test. 300 IN A 192.0.2.11'), { proxied: true });
  const { plan: p } = plan([moved], [shopAProxied, stamp(shopA)], sync);
  t.deepEqual(p.updates.map((u) => [u.from.values, u.to.values]), [[['192.0.2.10'], ['192.0.2.11']]]);
});
