// An entry's `proxied` (Cloudflare's proxy): accepted for a cloudflare provider, in the YAML
// config and in a GlobalDNS; `true` on another provider type is refused with a message that
// says why and what to do; `false` is what every other provider does anyway and is accepted.
import test from 'ava';
import { entryProviderProblem, parseConfig, parseGlobalDns, parseGlobalDnsProvider } from '../../src/config/index.js';
import type { CrdResult } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

const base = { baseDir: '/srv/gdns' };

function yaml(entries: string): string {
  return `
zones:
  - apex: example.test
clusters:
  - name: east
    manifests: clusters/east
providers:
  - name: embedded
    type: embedded
  - name: cf
    type: cloudflare
    cloudflare: { zones: [example.org], proxied: true }
  - name: ns1
    type: rfc2136
    rfc2136: { server: 127.0.0.1, zones: [example.net] }
entries:
${entries}`;
}

/** Accepted texts have no problems. */
const problemsOf = (text: string): string[] => problems(text, base, []);

test('YAML: proxied true, false or absent on a cloudflare entry reaches the model entry as written', (t) => {
  const c = parseConfig(
    yaml(`
  - { fqdn: a.example.org, provider: cf, proxied: true, targets: [{ cluster: east }] }
  - { fqdn: b.example.org, provider: cf, targets: [{ cluster: east }] }
  - { fqdn: c.example.org, provider: cf, proxied: false, targets: [{ cluster: east }] }
`),
    base,
  );
  t.deepEqual(c.entries.map((e) => [e.fqdn, e.proxied]), [['a.example.org', true], ['b.example.org', undefined], ['c.example.org', false]]);
  t.false('proxied' in (c.entries[1] ?? {}), 'absent stays absent: the provider settings decide');
});

test('YAML: proxied true on a provider without a proxy is refused, naming the entry, provider and type', (t) => {
  t.deepEqual(
    problemsOf(
      yaml(`
  - { fqdn: a.example.net, provider: ns1, proxied: true, targets: [{ cluster: east }] }
  - { fqdn: www.example.test, provider: embedded, proxied: true, targets: [{ cluster: east }] }
  - { fqdn: b.example.net, provider: ns1, proxied: false, targets: [{ cluster: east }] }
  - { fqdn: c.example.org, provider: cf, proxied: "yes", targets: [{ cluster: east }] }
`),
    ),
    [
      'entries[0].proxied: only a cloudflare provider can proxy records; provider "ns1" is of type rfc2136 (leave proxied out or set it to false)',
      'entries[1].proxied: only a cloudflare provider can proxy records; provider "embedded" is of type embedded (leave proxied out or set it to false)',
      'entries[3].proxied: expected boolean, got string',
    ],
  );
});

function ok<T>(t: { fail(m: string): void }, r: CrdResult<T>): T {
  if (!r.ok) {
    t.fail(r.problems.join('\n'));
    throw new Error('not ok');
  }
  return r.value;
}

const provider = (spec: unknown, name: string) => ({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name }, spec });
const entry = (spec: Record<string, unknown>) => ({
  apiVersion: 'globaldns.io/v1alpha1',
  kind: 'GlobalDNS',
  metadata: { name: 'web', namespace: 'shop', generation: 1 },
  spec: { fqdn: 'shop.example.org', providerRef: 'cf', targets: [{ cluster: 'east' }], ...spec },
});

test('CRD: spec.proxied reaches the entry; absent stays absent', (t) => {
  t.is(ok(t, parseGlobalDns(entry({ proxied: true }))).proxied, true);
  t.is(ok(t, parseGlobalDns(entry({ proxied: false }))).proxied, false);
  t.false('proxied' in ok(t, parseGlobalDns(entry({}))));
  const bad = parseGlobalDns(entry({ proxied: 'true' }));
  t.deepEqual(bad.ok ? [] : bad.problems, ['spec.proxied: expected boolean, got string']);
});

test("CRD: proxied true with a provider that is not cloudflare is the entry's problem (its status), false is fine", (t) => {
  const cf = ok(t, parseGlobalDnsProvider(provider({ type: 'cloudflare', cloudflare: { secretRef: { name: 'cf', namespace: 'globaldns' } } }, 'cf')));
  const r53 = ok(t, parseGlobalDnsProvider(provider({ type: 'route53', route53: { region: 'eu-west-1' } }, 'aws')));
  const on = ok(t, parseGlobalDns(entry({ proxied: true })));
  const off = ok(t, parseGlobalDns(entry({ proxied: false })));
  t.is(entryProviderProblem(on, cf), undefined);
  t.is(entryProviderProblem({ ...on, provider: 'aws' }, r53), 'spec.proxied: only a cloudflare provider can proxy records; provider "aws" is of type route53 (leave proxied out or set it to false)');
  t.is(entryProviderProblem({ ...off, provider: 'aws' }, r53), undefined);
});
