import test from 'ava';
import { parseTtl, parseZoneFile } from '../../src/config/zonefile.js';

const text = `
$ORIGIN example.test.
$TTL 1h
@   IN SOA ns1.example.test. hostmaster ( 2024010101 ; serial
            2h 30m 2w 60 )
    IN NS  ns1
    IN NS  ns2.example.net.
ns1        A     127.0.0.1
www   300  CNAME shop          ; a comment
shop       A     192.0.2.10
           A     192.0.2.11
           AAAA  2001:db8::10
txt        TXT   "semi;colon inside" "and more"
$ORIGIN sub
host  60 IN A    192.0.2.99
`;

test('a zone file gives records, the SOA and the apex NS set apart', (t) => {
  const z = parseZoneFile(text, 'example.test');
  t.deepEqual(z.problems, []);
  t.deepEqual(z.soa, { mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 2024010101, refresh: 7200, retry: 1800, expire: 1209600, minimum: 60, ttl: 3600 });
  t.deepEqual(z.ns, ['ns1.example.test', 'ns2.example.net']);
  t.is(z.nsTtl, 3600);
  const show = z.records.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.values.join(',')}`);
  t.deepEqual(show, [
    'ns1.example.test 3600 A 127.0.0.1',
    'www.example.test 300 CNAME shop.example.test',
    'shop.example.test 3600 A 192.0.2.10,192.0.2.11',
    'shop.example.test 3600 AAAA 2001:db8::10',
    'txt.example.test 3600 TXT semi;colon insideand more',
    'host.sub.example.test 60 A 192.0.2.99',
  ]);
});

test('bad lines are reported with their number and the rest is kept', (t) => {
  const z = parseZoneFile('a A 192.0.2.1\nb A not-an-ip\n$INCLUDE other.zone\nc ( A\n192.0.2.3 )\nd MX 10\n', 'example.test');
  t.deepEqual(z.records.map((r) => r.name), ['a.example.test', 'c.example.test']);
  t.is(z.problems.length, 3);
  t.regex(z.problems[0], /^line 2: /);
  t.regex(z.problems[1], /^line 3: \$INCLUDE is not supported/);
  t.regex(z.problems[2], /^line 6: /);
});

test('TTLs with units', (t) => {
  t.is(parseTtl('3600'), 3600);
  t.is(parseTtl('1h30m'), 5400);
  t.is(parseTtl('2D'), 172800);
  t.is(parseTtl('1x'), undefined);
});

test('a zone may name a zone file: its SOA, NS and records are used, config records added', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { parseConfig, ConfigError } = await import('../../src/config/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'gdns-zonefile-'));
  writeFileSync(join(dir, 'example.test.zone'), text);
  const config = parseConfig('zones:\n  - apex: example.test\n    file: example.test.zone\n    records: ["extra A 192.0.2.77"]\n', { baseDir: dir });
  const z = config.zones[0];
  t.deepEqual(z.ns, ['ns1.example.test', 'ns2.example.net']);
  t.is(z.soa.refresh, 7200);
  t.deepEqual(z.records.map((r) => r.name).sort(), ['extra.example.test', 'host.sub.example.test', 'ns1.example.test', 'shop.example.test', 'shop.example.test', 'txt.example.test', 'www.example.test']);

  writeFileSync(join(dir, 'bad.zone'), 'a A 192.0.2.1\nb A nope\n');
  const err = t.throws(() => parseConfig('zones:\n  - apex: example.test\n    file: bad.zone\n  - apex: other.test\n    file: missing.zone\n', { baseDir: dir }), { instanceOf: ConfigError });
  t.is(err?.problems.length, 2);
  t.regex(err?.problems[0] ?? '', /^zones\[0\]\.file: .*bad\.zone line 2: /);
  t.regex(err?.problems[1] ?? '', /^zones\[1\]\.file: cannot read .*missing\.zone: ENOENT/);
});
