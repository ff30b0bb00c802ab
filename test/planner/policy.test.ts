import test from 'ava';
import type { Plan } from '../../src/model/index.js';
import { POLICIES, applyPolicy, createOnlyPolicy, plan, syncPolicy, upsertOnlyPolicy } from '../../src/planner/index.js';
import type { PlanOptions, Policy } from '../../src/planner/index.js';
import { OWNER, externalDnsTxt, lines, rrset, stamp, touched } from './records.js';

const shopA1 = rrset('shop.example.test. 300 IN A 192.0.2.10');
const shopA2 = rrset('shop.example.test. 300 IN A 192.0.2.11');
const newA = rrset('new.example.test. 300 IN A 192.0.2.20');
const oldA = rrset('old.example.test. 300 IN A 192.0.2.70');

const mixed: Plan = { creates: [newA], updates: [{ from: shopA1, to: shopA2 }], deletes: [oldA] };

const opts = (policy: Policy): PlanOptions => ({ ownerId: OWNER, policy, adoptFrom: ['rancher'] });

test('sync: everything', (t) => {
  t.deepEqual(syncPolicy(mixed), mixed);
  t.deepEqual(applyPolicy(mixed, 'sync'), mixed);
});

test('upsert-only: creates and updates, no deletes', (t) => {
  t.deepEqual(upsertOnlyPolicy(mixed), { creates: [newA], updates: [{ from: shopA1, to: shopA2 }], deletes: [] });
  t.deepEqual(applyPolicy(mixed, 'upsert-only'), upsertOnlyPolicy(mixed));
});

test('create-only: creates only', (t) => {
  t.deepEqual(createOnlyPolicy(mixed), { creates: [newA], updates: [], deletes: [] });
  t.deepEqual(applyPolicy(mixed, 'create-only'), createOnlyPolicy(mixed));
});

test('policies never change the plan they are given', (t) => {
  const copy = structuredClone(mixed);
  for (const policy of POLICIES) applyPolicy(mixed, policy);
  t.deepEqual(mixed, copy);
});

test('the planner under each policy: create, update, delete of our own records', (t) => {
  const desired = [newA, shopA2];
  const current = [shopA1, stamp(shopA1), oldA, stamp(oldA)];
  t.deepEqual(touched(plan(desired, current, opts('sync')).plan), [
    '_globaldns-a.new.example.test TXT',
    '_globaldns-a.old.example.test TXT',
    'new.example.test A',
    'old.example.test A',
    'shop.example.test A',
  ]);
  const upsert = plan(desired, current, opts('upsert-only')).plan;
  t.deepEqual(upsert.deletes, []);
  t.deepEqual(touched(upsert), ['_globaldns-a.new.example.test TXT', 'new.example.test A', 'shop.example.test A']);
  const createOnly = plan(desired, current, opts('create-only')).plan;
  t.deepEqual(lines(createOnly), [
    '+ new.example.test 300 A 192.0.2.20',
    '+ _globaldns-a.new.example.test 300 TXT "heritage=globaldns,globaldns/owner=globaldns-prod,globaldns/resource=new.example.test,globaldns/record-type=A"',
  ]);
});

test('orphaned companions stay under upsert-only and create-only', (t) => {
  for (const policy of ['upsert-only', 'create-only'] as const) t.deepEqual(lines(plan([], [stamp(oldA)], opts(policy)).plan), [], policy);
});

test("other owners' records, foreign records and other external-dns owners are untouched under every policy", (t) => {
  const teamA = rrset('team.example.test. 300 IN A 192.0.2.60');
  const current = [
    teamA,
    stamp(teamA, 'globaldns-staging'),
    rrset('shop.example.test. 300 IN TXT "v=spf1 -all"'),
    rrset('shop.example.test. 300 IN MX 10 mail.example.test.'),
    rrset('www.example.test. 300 IN CNAME shop.example.test.'),
    rrset('other.example.test. 300 IN A 192.0.2.45'),
    externalDnsTxt('other.example.test', 'other-cluster'),
    rrset('bare.example.test. 300 IN A 192.0.2.46'),
  ];
  const desiredOverThem = [
    rrset('team.example.test. 300 IN A 192.0.2.1'),
    rrset('www.example.test. 300 IN A 192.0.2.1'),
    rrset('other.example.test. 300 IN A 192.0.2.1'),
    rrset('bare.example.test. 300 IN A 192.0.2.1'),
  ];
  for (const policy of POLICIES) {
    t.deepEqual(lines(plan([], current, opts(policy)).plan), [], `${policy}, nothing desired`);
    const over = plan(desiredOverThem, current, opts(policy));
    t.deepEqual(lines(over.plan), [], `${policy}, desired over them`);
    t.deepEqual(over.conflicts.map((c) => c.name), ['bare.example.test', 'other.example.test', 'team.example.test', 'www.example.test'], policy);
  }
});

test('a create the policy made impossible is taken back: our CNAME kept by upsert-only', (t) => {
  const docsCname = rrset('docs.example.test. 300 IN CNAME shop.example.test.');
  const docsA = rrset('docs.example.test. 300 IN A 192.0.2.90');
  const current = [docsCname, stamp(docsCname)];
  t.is(plan([docsA], current, opts('sync')).plan.creates.length, 2);
  for (const policy of ['upsert-only', 'create-only'] as const) {
    const { plan: p, conflicts } = plan([docsA], current, opts(policy));
    t.deepEqual(lines(p), [], policy);
    t.deepEqual(conflicts, [{ name: 'docs.example.test', type: 'A', reason: `CNAME docs.example.test is kept under policy ${policy}; a CNAME cannot share a name` }]);
  }
});

test('adoption under create-only: stamped, not changed, the old TXT kept', (t) => {
  const legacyA = rrset('legacy.example.test. 300 IN A 192.0.2.40');
  const legacyA2 = rrset('legacy.example.test. 300 IN A 192.0.2.41');
  const { plan: p } = plan([legacyA2], [legacyA, externalDnsTxt('legacy.example.test', 'rancher')], opts('create-only'));
  t.deepEqual(touched(p), ['_globaldns-a.legacy.example.test TXT']);
});
