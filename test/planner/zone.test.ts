import test from 'ava';
import type { RecordSet } from '../../src/model/index.js';
import { mergeRecords, zoneContent } from '../../src/planner/index.js';

const zone = {
  apex: 'example.test',
  ns: ['ns1.example.test'],
  nsTtl: 3600,
  soa: { mname: 'ns1.example.test', rname: 'hostmaster.example.test', refresh: 3600, retry: 600, expire: 1209600, minimum: 60, ttl: 3600 },
};

const staticRecords: RecordSet[] = [
  { name: 'www.example.test', type: 'CNAME', ttl: 300, values: ['shop.example.test'] },
  { name: 'ns1.example.test', type: 'A', ttl: 3600, values: ['127.0.0.1'] },
  { name: 'mail.example.test', type: 'A', ttl: 300, values: ['192.0.2.25'] },
];

test('zone content: SOA and NS from settings, records outside the apex left out, serial left to the publisher', (t) => {
  const planned: RecordSet[] = [
    { name: 'shop.example.test', type: 'AAAA', ttl: 300, values: ['2001:db8::10'] },
    { name: 'shop.example.test', type: 'A', ttl: 300, values: ['192.0.2.10'] },
    { name: 'elsewhere.test', type: 'A', ttl: 300, values: ['192.0.2.1'] },
  ];
  const c = zoneContent(zone, staticRecords, planned);
  t.is(c.apex, 'example.test');
  t.deepEqual(c.soa, { ...zone.soa, serial: 0 });
  t.deepEqual(c.ns, ['ns1.example.test']);
  t.is(c.nsTtl, 3600);
  t.deepEqual(c.records.map((r) => `${r.name} ${r.type}`).sort(), [
    'mail.example.test A',
    'ns1.example.test A',
    'shop.example.test A',
    'shop.example.test AAAA',
    'www.example.test CNAME',
  ]);
});

test('static records win: a static CNAME shadows every planned type, a static set its own type', (t) => {
  const planned: RecordSet[] = [
    { name: 'www.example.test', type: 'A', ttl: 300, values: ['192.0.2.1'] },
    { name: 'mail.example.test', type: 'A', ttl: 300, values: ['192.0.2.2'] },
    { name: 'mail.example.test', type: 'AAAA', ttl: 300, values: ['2001:db8::2'] },
  ];
  const { shadowed } = mergeRecords(staticRecords, planned);
  t.deepEqual(shadowed.map((r) => `${r.name} ${r.type}`), ['www.example.test A', 'mail.example.test A']);
  const c = zoneContent(zone, staticRecords, planned);
  t.deepEqual(c.records.find((r) => r.name === 'mail.example.test' && r.type === 'A')?.values, ['192.0.2.25']);
  t.truthy(c.records.find((r) => r.name === 'mail.example.test' && r.type === 'AAAA'));
  t.deepEqual(c.records.filter((r) => r.name === 'www.example.test').map((r) => r.type), ['CNAME']);
});
