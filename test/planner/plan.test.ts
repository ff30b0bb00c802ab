import test from 'ava';
import type { RecordSet } from '../../src/model/index.js';
import { plan } from '../../src/planner/index.js';
import type { PlanOptions } from '../../src/planner/index.js';
import { OWNER, externalDnsTxt, lines, rrset, stamp, touched, withSet } from './records.js';

const sync: PlanOptions = { ownerId: OWNER, policy: 'sync' };
const adoptRancher: PlanOptions = { ...sync, adoptFrom: ['rancher'] };

const shopA1 = rrset('shop.example.test. 300 IN A 192.0.2.10', 'shop.example.test. 300 IN A 198.51.100.20');
const shopA1Reordered = rrset('shop.example.test. 300 IN A 198.51.100.20', 'shop.example.test. 300 IN A 192.0.2.10');
const shopA2 = rrset('shop.example.test. 300 IN A 192.0.2.10', 'shop.example.test. 300 IN A 203.0.113.7');
const shopA1Ttl60 = rrset('shop.example.test. 60 IN A 192.0.2.10', 'shop.example.test. 60 IN A 198.51.100.20');
const shopAAAA = rrset('shop.example.test. 300 IN AAAA 2001:db8::10');
const shopAAAASpelledOut = rrset('shop.example.test. 300 IN AAAA 2001:DB8:0:0:0:0:0:10');
const shopSpf = rrset('shop.example.test. 300 IN TXT "v=spf1 -all"');
const shopMx = rrset('shop.example.test. 300 IN MX 10 mail.example.test.');
const foreignShopA = rrset('shop.example.test. 300 IN A 192.0.2.99');
const apexA = rrset('example.test. 300 IN A 192.0.2.1');
const apexNs = rrset('example.test. 172800 IN NS ns1.example.test.');
const appsWildcardA = rrset('*.apps.example.test. 120 IN A 192.0.2.30');
const appsWildcardFromRoute53 = { ...appsWildcardA, name: '\\052.apps.example.test.' };
const wwwA = rrset('www.example.test. 300 IN A 192.0.2.80');
const foreignCname = rrset('www.example.test. 300 IN CNAME shop.example.test.');
const ourCname = rrset('docs.example.test. 300 IN CNAME shop.example.test.');
const docsA = rrset('docs.example.test. 300 IN A 192.0.2.90');
const oldA = rrset('old.example.test. 300 IN A 192.0.2.70');
const otherOwnersA = rrset('team.example.test. 300 IN A 192.0.2.60');
const legacyA = rrset('legacy.example.test. 300 IN A 192.0.2.40');
const legacyA2 = rrset('legacy.example.test. 300 IN A 192.0.2.41');
const rancherLegacyTxt = externalDnsTxt('legacy.example.test', 'rancher');
const otherExternalA = rrset('other.example.test. 300 IN A 192.0.2.45');
const otherExternalTxt = externalDnsTxt('other.example.test', 'other-cluster');
const bareA = rrset('bare.example.test. 300 IN A 192.0.2.46');

/** The zone as Route53 would list it: TXT data quoted, names with a trailing dot. */
function listed(...sets: RecordSet[]): RecordSet[] {
  return sets.map((r) => ({
    ...r,
    name: r.name.endsWith('.') ? r.name : `${r.name}.`,
    values: r.type === 'TXT' ? r.values.map((v) => `"${v}"`) : r.values,
  }));
}

test('empty zone: every desired record set is created with its companion, record first', (t) => {
  const { plan: p, conflicts } = plan([shopAAAA, shopA1], [], sync);
  t.deepEqual(lines(p), [
    '+ shop.example.test 300 A 192.0.2.10 198.51.100.20',
    '+ _globaldns-a.shop.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop.example.test,globaldns/record-type=A"',
    '+ shop.example.test 300 AAAA 2001:db8::10',
    '+ _globaldns-aaaa.shop.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop.example.test,globaldns/record-type=AAAA"',
  ]);
  t.deepEqual(conflicts, []);
});

test('no-op when equal: values in another order, other spellings, as the provider lists them', (t) => {
  const current = listed(shopA1Reordered, stamp(shopA1), shopAAAASpelledOut, stamp(shopAAAA), appsWildcardFromRoute53, stamp(appsWildcardA));
  const { plan: p, conflicts } = plan([shopA1, shopAAAA, appsWildcardA], current, sync);
  t.deepEqual(lines(p), []);
  t.deepEqual(conflicts, []);
});

test('update: changed values, the companion stays', (t) => {
  const { plan: p } = plan([shopA2], [shopA1, stamp(shopA1)], sync);
  t.deepEqual(lines(p), ['~ shop.example.test 300 A 192.0.2.10 198.51.100.20 -> shop.example.test 300 A 192.0.2.10 203.0.113.7']);
  t.is(p.updates[0].from, shopA1, 'from is the listed record set, exactly (providers delete by value)');
});

test('update: a TTL change moves the companion TTL with it', (t) => {
  const { plan: p } = plan([shopA1Ttl60], [shopA1, stamp(shopA1)], sync);
  t.deepEqual(touched(p), ['_globaldns-a.shop.example.test TXT', 'shop.example.test A']);
  t.deepEqual(p.updates.map((u) => [u.from.ttl, u.to.ttl]), [[300, 60], [300, 60]]);
});

test('update: a new resource (entry) re-stamps the companion only', (t) => {
  const { plan: p } = plan([shopA1], [shopA1, stamp(shopA1)], { ...sync, resourceOf: () => 'shop/web-global' });
  t.deepEqual(lines(p), [
    '~ _globaldns-a.shop.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop.example.test,globaldns/record-type=A" -> ' +
    '_globaldns-a.shop.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop/web-global,globaldns/record-type=A"',
  ]);
});

test('delete: only our record sets, each with its companion', (t) => {
  const current = [oldA, stamp(oldA), otherOwnersA, stamp(otherOwnersA, 'globaldns-staging'), bareA, shopSpf];
  const { plan: p, conflicts } = plan([], current, sync);
  t.deepEqual(lines(p), [
    '- old.example.test 300 A 192.0.2.70',
    '- _globaldns-a.old.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=old.example.test,globaldns/record-type=A"',
  ]);
  t.deepEqual(conflicts, []);
});

test('foreign records at the same name, other types, are left alone', (t) => {
  const { plan: p, conflicts } = plan([shopA1], [shopSpf, shopMx], sync);
  t.deepEqual(touched(p), ['_globaldns-a.shop.example.test TXT', 'shop.example.test A']);
  t.deepEqual(conflicts, []);
});

test('foreign record set at the same name and type: a conflict, never touched', (t) => {
  const bare = plan([shopA1], [foreignShopA], sync);
  t.deepEqual(lines(bare.plan), []);
  t.deepEqual(bare.conflicts, [{ name: 'shop.example.test', type: 'A', reason: 'exists and is not managed by globaldns (no ownership record)' }]);
  const owned = plan([shopA1], [foreignShopA, stamp(foreignShopA, 'globaldns-staging')], sync);
  t.deepEqual(lines(owned.plan), []);
  t.deepEqual(owned.conflicts.map((c) => c.reason), ['claimed by globaldns owner globaldns-staging']);
  const external = plan([rrset('other.example.test. 300 IN A 192.0.2.1')], [otherExternalA, otherExternalTxt], sync);
  t.deepEqual(lines(external.plan), []);
  t.deepEqual(external.conflicts.map((c) => c.reason), ['owned by external-dns owner other-cluster']);
});

test("another owner's companion with no record yet still keeps us out", (t) => {
  const { plan: p, conflicts } = plan([shopA1], [stamp(shopA1, 'globaldns-staging')], sync);
  t.deepEqual(lines(p), []);
  t.deepEqual(conflicts.map((c) => c.reason), ['claimed by globaldns owner globaldns-staging']);
});

test('CNAME: a foreign CNAME blocks our A; our CNAME is blocked by foreign data', (t) => {
  const a = plan([wwwA], [foreignCname], sync);
  t.deepEqual(lines(a.plan), []);
  t.deepEqual(a.conflicts, [
    { name: 'www.example.test', type: 'A', reason: 'CNAME www.example.test exists and is not managed by globaldns (no ownership record); a CNAME cannot share a name' },
  ]);
  const cname = plan([foreignCname], [wwwA], sync);
  t.deepEqual(lines(cname.plan), []);
  t.is(cname.conflicts.length, 1);
  t.is(cname.conflicts[0].type, 'CNAME');
});

test('CNAME: our own CNAME replaced by an A in one plan', (t) => {
  const { plan: p, conflicts } = plan([docsA], [ourCname, stamp(ourCname)], sync);
  t.deepEqual(touched(p), [
    '_globaldns-a.docs.example.test TXT',
    '_globaldns-cname.docs.example.test TXT',
    'docs.example.test A',
    'docs.example.test CNAME',
  ]);
  t.is(p.creates.length, 2);
  t.is(p.deletes.length, 2);
  t.deepEqual(conflicts, []);
});

test('a desired CNAME beside other desired data at one name is not applied', (t) => {
  const { plan: p, conflicts } = plan([ourCname, docsA], [], sync);
  t.deepEqual(lines(p), []);
  t.deepEqual(conflicts.map((c) => `${c.name} ${c.type}`), ['docs.example.test A', 'docs.example.test CNAME']);
});

test('orphaned companion (ours, no record): removed under sync, reused when the record is wanted again', (t) => {
  const gone = plan([], [stamp(oldA)], sync);
  t.deepEqual(touched(gone.plan), ['_globaldns-a.old.example.test TXT']);
  t.is(gone.plan.deletes.length, 1);
  const back = plan([oldA], [stamp(oldA)], sync);
  t.deepEqual(lines(back.plan), ['+ old.example.test 300 A 192.0.2.70']);
});

test('re-stamp: our record left without its companion by a half-applied batch gets it back', (t) => {
  const { plan: p, conflicts } = plan([shopA1], [shopA1Reordered], sync);
  t.deepEqual(touched(p), ['_globaldns-a.shop.example.test TXT']);
  t.is(p.creates.length, 1);
  t.deepEqual(conflicts, []);
  // Anything that differs from what we want is someone else's until proven otherwise.
  t.is(plan([shopA2], [shopA1], sync).conflicts.length, 1);
});

test('adoption: a Rancher (external-dns owner rancher) record is updated and stamped; its TXT retired a round later', (t) => {
  const round1 = plan([legacyA2], [legacyA, rancherLegacyTxt], adoptRancher);
  t.deepEqual(lines(round1.plan), [
    '+ _globaldns-a.legacy.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=legacy.example.test,globaldns/record-type=A"',
    '~ legacy.example.test 300 A 192.0.2.40 -> legacy.example.test 300 A 192.0.2.41',
  ]);
  t.deepEqual(round1.conflicts, []);
  const round2 = plan([legacyA2], [legacyA2, rancherLegacyTxt, stamp(legacyA2)], adoptRancher);
  t.deepEqual(lines(round2.plan), [
    '- legacy.example.test 300 TXT "heritage=external-dns,external-dns/owner=rancher,external-dns/resource=ingress/shop/web"',
  ]);
  const round3 = plan([legacyA2], [legacyA2, stamp(legacyA2)], adoptRancher);
  t.deepEqual(lines(round3.plan), []);
});

test('adoption: an adopted record no longer wanted is deleted with its external-dns TXT', (t) => {
  const { plan: p } = plan([], [legacyA, rancherLegacyTxt], adoptRancher);
  t.deepEqual(touched(p), ['legacy.example.test A', 'legacy.example.test TXT']);
  t.is(p.deletes.length, 2);
});

test('adoption takes over owner rancher and nothing else: not other owner ids, not records without TXT', (t) => {
  const current = [legacyA, rancherLegacyTxt, otherExternalA, otherExternalTxt, bareA];
  const desired = [legacyA2, rrset('other.example.test. 300 IN A 192.0.2.1'), rrset('bare.example.test. 300 IN A 192.0.2.1')];
  const { plan: p, conflicts } = plan(desired, current, adoptRancher);
  t.deepEqual(touched(p), ['_globaldns-a.legacy.example.test TXT', 'legacy.example.test A']);
  t.deepEqual(conflicts.map((c) => `${c.name}: ${c.reason}`), [
    'bare.example.test: exists and is not managed by globaldns (no ownership record)',
    'other.example.test: owned by external-dns owner other-cluster',
  ]);
  const nothingWanted = plan([], current, adoptRancher);
  t.deepEqual(touched(nothingWanted.plan), ['legacy.example.test A', 'legacy.example.test TXT']);
});

test('adoption is opt-in: without it a Rancher record is a conflict', (t) => {
  const { plan: p, conflicts } = plan([legacyA2], [legacyA, rancherLegacyTxt], sync);
  t.deepEqual(lines(p), []);
  t.deepEqual(conflicts.map((c) => c.reason), ['owned by external-dns owner rancher']);
});

test('adoption: the MX that shares a legacy TXT name keeps the TXT in place', (t) => {
  const legacyMx = rrset('legacy.example.test. 300 IN MX 10 mail.example.test.');
  const { plan: p } = plan([], [legacyA, legacyMx, rancherLegacyTxt], adoptRancher);
  t.deepEqual(lines(p), ['- legacy.example.test 300 A 192.0.2.40']);
});

test('apex and wildcard names: created, stamped, deleted like any other', (t) => {
  const created = plan([apexA, appsWildcardA], [apexNs], sync);
  t.deepEqual(
    created.plan.creates.map((r) => `${r.name} ${r.type}`),
    ['*.apps.example.test A', '_globaldns-a-wildcard.apps.example.test TXT', 'example.test A', '_globaldns-a.example.test TXT'],
  );
  const deleted = plan([], [apexNs, apexA, stamp(apexA), appsWildcardFromRoute53, stamp(appsWildcardA)], sync);
  t.deepEqual(deleted.plan.deletes.map((r) => `${r.name} ${r.type}`), [
    '\\052.apps.example.test. A',
    '_globaldns-a-wildcard.apps.example.test TXT',
    'example.test A',
    '_globaldns-a.example.test TXT',
  ]);
});

test('set identifiers: weighted record sets of one name are separate rows with separate companions', (t) => {
  const east = withSet(shopA1, { setIdentifier: 'east', weight: 50 });
  const west = withSet(shopA2, { setIdentifier: 'west', weight: 50 });
  const westHeavier = withSet(shopA2, { setIdentifier: 'west', weight: 80 });
  const { plan: p } = plan([east, westHeavier], [east, stamp(east), west, stamp(west)], sync);
  t.deepEqual(lines(p).map((l) => l.split(' -> ')[1]), [
    'shop.example.test 300 A [west w80] 192.0.2.10 203.0.113.7',
    '_globaldns-a.shop.example.test 300 TXT [west w80] "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=shop.example.test,globaldns/record-type=A"',
  ]);
});

test('managedNames: an incremental plan deletes nothing outside its names', (t) => {
  const current = [shopA1, stamp(shopA1), oldA, stamp(oldA)];
  const { plan: p } = plan([shopA2], current, { ...sync, managedNames: new Set(['shop.example.test']) });
  t.deepEqual(touched(p), ['shop.example.test A']);
  const released = plan([], current, { ...sync, managedNames: new Set(['old.example.test.']) });
  t.deepEqual(touched(released.plan), ['_globaldns-a.old.example.test TXT', 'old.example.test A']);
});

test('desired twice with different content: a conflict, nothing changed or deleted', (t) => {
  const { plan: p, conflicts } = plan([shopA1, shopA2], [shopA1, stamp(shopA1)], sync);
  t.deepEqual(lines(p), []);
  t.deepEqual(conflicts.map((c) => c.reason), ['desired twice with different content']);
});

test('ownership records that would not fit are conflicts, not provider errors', (t) => {
  const long = rrset(`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(55)}.example.test. 300 IN A 192.0.2.1`);
  t.regex(plan([long], [], sync).conflicts[0].reason, /^ownership record name _globaldns-a\.a+\..* is longer than 253 characters$/);
  t.regex(plan([shopA1], [], { ...sync, resourceOf: () => 'x'.repeat(300) }).conflicts[0].reason, /longer than 255/);
});

test('deterministic: the same answer whatever the input order', (t) => {
  const desired = [shopA2, shopAAAA, apexA, appsWildcardA, legacyA2];
  const current = [shopA1, stamp(shopA1), oldA, stamp(oldA), legacyA, rancherLegacyTxt, foreignCname, bareA];
  const expected = plan(desired, current, adoptRancher);
  for (let i = 1; i < current.length; i++) {
    const rotated = [...current.slice(i), ...current.slice(0, i)];
    const shuffled = plan(i % 2 === 0 ? desired : [...desired].reverse(), rotated, adoptRancher);
    t.deepEqual(shuffled, expected);
  }
});
