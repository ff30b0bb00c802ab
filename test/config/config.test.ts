import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

const base = { baseDir: '/srv/gdns' };

const problemsOf = (text: string): string[] => problems(text, base);

const good = `
dns:
  listen: ["127.0.0.1:5353", "[::1]:5353"]
zones:
  - apex: Example.Test.
    records:
      - "ns1 3600 IN A 127.0.0.1"
      - "www 300 IN CNAME shop"
      - "*.apps 300 IN A 192.0.2.10"
      - "*.apps 60 IN A 192.0.2.11"
      - '@ TXT "v=spf1 -all"'
clusters:
  - name: east
    manifests: clusters/east
  - name: west
    manifests: /abs/west
entries:
  - fqdn: shop.example.test
    targets:
      - cluster: east
      - cluster: west
        projects: ["c-abc12:p-xyz34"]
`;

test('a good config gets defaults and absolute paths', (t) => {
  const c = parseConfig(good, base);
  t.deepEqual(c.dns.listen, [
    { host: '127.0.0.1', port: 5353 },
    { host: '::1', port: 5353 },
  ]);
  t.is(c.dns.udpPayloadMax, 1232);
  t.is(c.dns.tcpIdleTimeoutMs, 10000);
  t.is(c.dns.maxTcpConnections, 2048);
  t.is(c.stateDir, '/srv/gdns/.state');
  t.is(c.logLevel, 'info');
  t.deepEqual(c.providers, [{ name: 'embedded', type: 'embedded' }]);
  t.deepEqual(c.clusters, [
    { name: 'east', manifests: '/srv/gdns/clusters/east' },
    { name: 'west', manifests: '/abs/west' },
  ]);
  const zone = c.zones[0];
  t.is(zone.apex, 'example.test');
  t.deepEqual(zone.ns, ['ns1.example.test']);
  t.is(zone.soa.mname, 'ns1.example.test');
  t.is(zone.soa.rname, 'hostmaster.example.test');
  t.is(zone.soa.minimum, 60);
  t.deepEqual(zone.records, [
    { name: 'ns1.example.test', type: 'A', ttl: 3600, values: ['127.0.0.1'] },
    { name: 'www.example.test', type: 'CNAME', ttl: 300, values: ['shop.example.test'] },
    { name: '*.apps.example.test', type: 'A', ttl: 60, values: ['192.0.2.10', '192.0.2.11'] },
    { name: 'example.test', type: 'TXT', ttl: 300, values: ['v=spf1 -all'] },
  ]);
  t.deepEqual(c.entries, [
    {
      fqdn: 'shop.example.test',
      ttl: 300,
      provider: 'embedded',
      targets: [{ cluster: 'east' }, { cluster: 'west', projects: ['c-abc12:p-xyz34'] }],
    },
  ]);
});

test('every problem is reported at once, each with its path', (t) => {
  const problems = problemsOf(`
dns:
  listen: ["localhost:53", "::1:53"]
  udpPayloadMax: 100
stateDir: x
logLevel: loud
zones:
  - apex: example.test
    records:
      - "www CNAME shop"
      - "www A 192.0.2.1"
      - "bad A 2001:db8::1"
      - "out.other.test. A 192.0.2.1"
      - "x 300 IN BOGUS y"
  - apex: example.test
  - ns: [a.b]
clusters:
  - name: east
    manifests: e
  - name: east
    manifests: e2
  - name: west
providers:
  - name: embedded
    type: embedded
  - name: cf
    type: bind9
entries:
  - fqdn: shop.example.test
    provider: nope
    targets: [{ cluster: east }, { cluster: north }]
  - fqdn: shop.example.test
    targets: [{ cluster: east }]
  - fqdn: -bad-.example.test
    provider: gone
    targets: [{ cluster: east }, { cluster: south }]
  - fqdn: shop.elsewhere.test
    targets: [{ cluster: west }]
  - fqdn: www.example.test
    targets: [{ cluster: east }]
  - fqdn: a.example.test
    targets: []
    colour: blue
`);
  const expected = [
    'dns.listen[0]: not an IP address "localhost" in listen address "localhost:53"',
    'dns.listen[1]: not a listen address "::1:53" (expected host:port or [v6]:port)',
    'dns.udpPayloadMax: Number must be greater than or equal to 512',
    "logLevel: Invalid enum value. Expected 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', received 'loud'",
    'zones[0].records[2]: A data must be an IPv4 address, got "2001:db8::1"',
    'zones[0].records[3]: out.other.test is outside zone example.test',
    'zones[0].records[4]: unsupported record type "BOGUS" (supported: A, AAAA, CNAME, TXT, MX, NS, SRV, PTR, CAA)',
    'zones[0].records[0]: www.example.test has a CNAME and other records (A)',
    'zones[1].apex: zone example.test is already defined at zones[0]',
    'zones[2].apex: required',
    'clusters[1].name: cluster east is already defined at clusters[0]',
    'clusters[2]: needs one of "manifests", "kubeconfig", "kubeconfigDir", "inCluster"',
    'providers[1].type: must be one of "embedded", "rfc2136", "powerdns", "cloudflare", "alidns", "route53"',
    'entries[0].provider: unknown provider "nope"',
    'entries[0].targets[1].cluster: unknown cluster "north"',
    'entries[1].fqdn: shop.example.test is already an entry at entries[0]',
    'entries[2].fqdn: not a valid hostname',
    'entries[2].provider: unknown provider "gone"',
    'entries[2].targets[1].cluster: unknown cluster "south"',
    'entries[3].fqdn: shop.elsewhere.test is not inside any zone served by the embedded provider (zones: example.test)',
    'entries[4].fqdn: www.example.test already has static CNAME/A records in zone example.test',
    'entries[5]: unknown key "colour"',
    'entries[5].targets: at least one target is needed',
  ];
  t.deepEqual([...problems].sort(), [...expected].sort());
});

test('YAML syntax errors are reported with a line', (t) => {
  const problems = problemsOf('zones:\n  - apex: [unclosed\n');
  t.is(problems.length, 1);
  t.regex(problems[0], /^line \d+: /);
});

test('unknown top-level keys and wrong types are named', (t) => {
  t.deepEqual(problemsOf('zonez: []\nentries: {}\n').sort(), ['(top level): unknown key "zonez"', 'entries: expected array, got object'].sort());
});

test('loadConfig resolves paths against the config file folder', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gdns-config-'));
  const file = join(dir, 'globaldns.yaml');
  writeFileSync(file, 'stateDir: ../.state\nclusters:\n  - name: east\n    manifests: clusters/east\n');
  const c = loadConfig(file);
  t.is(c.stateDir, join(dir, '..', '.state'));
  t.deepEqual(c.clusters[0], { name: 'east', manifests: join(dir, 'clusters', 'east') });
  t.is(c.source, file);
  t.deepEqual(c.dns.listen, [{ host: '127.0.0.1', port: 5353 }]);
});

test('loadConfig reports a missing file as a ConfigError', (t) => {
  const e = t.throws(() => loadConfig('/nonexistent/globaldns.yaml'), { instanceOf: ConfigError });
  t.regex(e?.problems[0] ?? '', /cannot read config/);
});

test('rname may be written as a mailbox; ns defaults feed the SOA mname', (t) => {
  const c = parseConfig('zones:\n  - apex: example.test\n    ns: [a.ns.test, b.ns.test]\n    soa: { rname: admin@example.test, minimum: 30 }\n', base);
  t.is(c.zones[0].soa.rname, 'admin.example.test');
  t.is(c.zones[0].soa.mname, 'a.ns.test');
  t.is(c.zones[0].soa.minimum, 30);
  t.is(c.zones[0].soa.expire, 1209600);
});
