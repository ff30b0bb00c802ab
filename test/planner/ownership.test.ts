import test from 'ava';
import { externalDnsRegistryNames, formatOwnership, ownedBy, ownershipName, ownershipRecords, parseOwnership, parseOwnershipName } from '../../src/planner/index.js';
import { OWNER, externalDnsTxt, rrset, stamp, withSet } from './records.js';

const shopA1 = rrset('shop.example.test. 300 IN A 192.0.2.10', 'shop.example.test. 300 IN A 198.51.100.20');
const shopAAAA = rrset('shop.example.test. 300 IN AAAA 2001:db8::10');
const apexA = rrset('example.test. 300 IN A 192.0.2.1');
const appsWildcardA = rrset('*.apps.example.test. 120 IN A 192.0.2.30');
const legacyA = rrset('legacy.example.test. 300 IN A 192.0.2.40');
const legacyMx = rrset('legacy.example.test. 300 IN MX 10 mail.example.test.');
const handMadeA = rrset('hand.example.test. 300 IN A 192.0.2.50');
const spf = rrset('shop.example.test. 300 IN TXT "v=spf1 -all"');

test('ownership value: our format, round trip, quotes as providers return them', (t) => {
  const value = formatOwnership({ heritage: 'globaldns', owner: 'prod', resource: 'shop/web-global', recordType: 'A' });
  t.is(value, 'heritage=globaldns,globaldns/owner=prod,globaldns/resource=shop/web-global,globaldns/record-type=A');
  t.deepEqual(parseOwnership(value), { heritage: 'globaldns', owner: 'prod', resource: 'shop/web-global', recordType: 'A' });
  t.deepEqual(parseOwnership(`"${value}"`), parseOwnership(value));
});

test('ownership value: odd owner ids and resources cannot forge labels', (t) => {
  const value = formatOwnership({ heritage: 'globaldns', owner: 'a,globaldns/owner=evil', resource: 'ns/"x" y%', recordType: 'AAAA' });
  t.is(value.split(',').length, 4);
  t.false(value.includes('"'));
  t.deepEqual(parseOwnership(value), { heritage: 'globaldns', owner: 'a,globaldns/owner=evil', resource: 'ns/"x" y%', recordType: 'AAAA' });
});

test('ownership value: external-dns records (Rancher Global DNS) are read', (t) => {
  t.deepEqual(parseOwnership('"heritage=external-dns,external-dns/owner=rancher,external-dns/resource=ingress/shop/web"'), {
    heritage: 'external-dns',
    owner: 'rancher',
    resource: 'ingress/shop/web',
  });
  t.deepEqual(parseOwnership('heritage=external-dns,external-dns/owner=default'), { heritage: 'external-dns', owner: 'default' });
});

test('ownership value: any other text is no ownership', (t) => {
  for (
    const text of [
      'v=spf1 include:_spf.example.test -all',
      'google-site-verification=abc',
      'heritage=other,other/owner=x',
      'heritage=globaldns,globaldns/resource=x',
      'heritage=external-dns',
      'heritage=globaldns,globaldns/owner=x,globaldns/record-type=BOGUS',
      'heritage=globaldns,globaldns/owner=%zz',
      '',
    ]
  ) {
    t.is(parseOwnership(text), undefined, text);
  }
});

test('companion names: a label of our own in front, also at the apex', (t) => {
  t.is(ownershipName('shop.example.test', 'A'), '_globaldns-a.shop.example.test');
  t.is(ownershipName('Shop.Example.Test.', 'AAAA'), '_globaldns-aaaa.shop.example.test');
  t.is(ownershipName('example.test', 'A'), '_globaldns-a.example.test');
  t.is(ownershipName('www.example.test', 'CNAME'), '_globaldns-cname.www.example.test');
});

test('companion names: a wildcard label is replaced, never kept as a literal *', (t) => {
  t.is(ownershipName('*.apps.example.test', 'A'), '_globaldns-a-wildcard.apps.example.test');
  t.is(ownershipName('\\052.apps.example.test.', 'A'), '_globaldns-a-wildcard.apps.example.test');
  t.is(ownershipName('*.example.test', 'AAAA'), '_globaldns-aaaa-wildcard.example.test');
});

test('companion names map back one to one', (t) => {
  const names = ['shop.example.test', 'example.test', '*.apps.example.test', 'apps.example.test', '_globaldns-a.example.test', 'wildcard.apps.example.test'];
  const seen = new Set<string>();
  for (const name of names) {
    for (const type of ['A', 'AAAA', 'CNAME', 'TXT'] as const) {
      const companion = ownershipName(name, type);
      t.false(companion.includes('*'), companion);
      t.false(seen.has(companion), companion);
      seen.add(companion);
      t.deepEqual(parseOwnershipName(companion), { name, type });
    }
  }
  t.is(parseOwnershipName('shop.example.test'), undefined);
  t.is(parseOwnershipName('_globaldns-bogus.example.test'), undefined);
  t.is(parseOwnershipName('a-shop.example.test'), undefined);
});

test('ownershipRecords: one companion per record set, with its TTL, set identifier and weight', (t) => {
  const weighted = withSet(shopA1, { setIdentifier: 'east', weight: 10 });
  t.deepEqual(ownershipRecords([weighted, shopAAAA], OWNER, 'shop/web-global'), [
    {
      name: '_globaldns-a.shop.example.test',
      type: 'TXT',
      ttl: 300,
      values: ['heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop/web-global,globaldns/record-type=A'],
      setIdentifier: 'east',
      weight: 10,
    },
    {
      name: '_globaldns-aaaa.shop.example.test',
      type: 'TXT',
      ttl: 300,
      values: ['heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop/web-global,globaldns/record-type=AAAA'],
    },
  ]);
  t.deepEqual(
    ownershipRecords([shopA1, apexA], OWNER, (r) => `entry:${r.name}`).map((r) => r.values[0].split(',')[2]),
    ['globaldns/resource=entry:shop.example.test', 'globaldns/resource=entry:example.test'],
  );
});

test('ownedBy: only record sets whose companion names us; types owned one by one', (t) => {
  const current = [shopA1, stamp(shopA1), shopAAAA, stamp(shopAAAA, 'globaldns-staging'), apexA, stamp(apexA), appsWildcardA, stamp(appsWildcardA), handMadeA, spf];
  t.deepEqual(ownedBy(current, OWNER), [appsWildcardA, apexA, shopA1]);
  t.deepEqual(ownedBy(current, 'globaldns-staging'), [shopAAAA]);
});

test('ownedBy: a companion at a name that does not match its record type is not believed', (t) => {
  const misplaced = { ...stamp(shopAAAA), name: '_globaldns-a.shop.example.test' };
  t.deepEqual(ownedBy([shopA1, misplaced], OWNER), []);
});

test('ownedBy: a record set two registries claim is nobody we can touch', (t) => {
  const current = [legacyA, stamp(legacyA), externalDnsTxt('legacy.example.test', 'someone-else')];
  t.deepEqual(ownedBy(current, OWNER), []);
  t.deepEqual(ownedBy(current, OWNER, { adoptFrom: ['someone-else'] }), [legacyA]);
});

test('adoption: external-dns owner rancher, legacy TXT at the same name, and nothing else', (t) => {
  const current = [legacyA, legacyMx, externalDnsTxt('legacy.example.test', 'rancher'), handMadeA, shopA1, externalDnsTxt('shop.example.test', 'other-cluster')];
  t.deepEqual(ownedBy(current, OWNER), [], 'no adoption unless asked');
  // The MX shares the name (and so the legacy TXT) but external-dns never managed MX by default.
  t.deepEqual(ownedBy(current, OWNER, { adoptFrom: ['rancher'] }), [legacyA]);
});

test('adoption: the newer typed external-dns names and prefixes', (t) => {
  const typed = [legacyA, externalDnsTxt('a-legacy.example.test', 'rancher')];
  t.deepEqual(ownedBy(typed, OWNER, { adoptFrom: ['rancher'] }), [legacyA]);
  const prefixed = [legacyA, externalDnsTxt('_external_dns.legacy.example.test', 'rancher')];
  t.deepEqual(ownedBy(prefixed, OWNER, { adoptFrom: ['rancher'] }), [], 'a prefix must be configured');
  t.deepEqual(ownedBy(prefixed, OWNER, { adoptFrom: ['rancher'], adoptPrefixes: ['_external_dns.'] }), [legacyA]);
});

test('external-dns registry names: legacy, typed, prefix, %{record_type}', (t) => {
  t.deepEqual(externalDnsRegistryNames('shop.example.test', 'A'), ['shop.example.test', 'a-shop.example.test']);
  t.deepEqual(externalDnsRegistryNames('shop.example.test', 'CNAME', 'edns-'), ['edns-shop.example.test', 'edns-cname-shop.example.test']);
  t.deepEqual(externalDnsRegistryNames('shop.example.test', 'AAAA', '_%{record_type}.'), ['_.shop.example.test', '_aaaa.shop.example.test']);
});
