import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { entryProviderProblem, parseGlobalDns, parseGlobalDnsProvider, setCondition } from '../../src/config/index.js';
import type { CrdResult } from '../../src/config/index.js';
import { providerSettingsProblems } from '../../src/app/validate.js';
import { healthCheckSchema, parseStatusRanges, routingSchema } from '../../src/config/health.js';
import { durationSchema } from '../../src/config/durations.js';
import { route53Factory, route53Settings, ROUTE53_PATTERNS } from '../../providers/route53/index.js';

function ok<T>(t: { fail(m: string): void }, r: CrdResult<T>): T {
  if (!r.ok) {
    t.fail(r.problems.join('\n'));
    throw new Error('not ok');
  }
  return r.value;
}

function problems<T>(r: CrdResult<T>): string[] {
  return r.ok ? [] : r.problems;
}

const provider = (spec: unknown, name = 'aws') => ({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name, generation: 3 }, spec });
const entry = (spec: unknown, namespace = 'shop', name = 'web') => ({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNS', metadata: { name, namespace, generation: 2 }, spec });

test('a Route53 provider: the settings block as written, checked and defaulted by the factory', async (t) => {
  const p = ok(t, parseGlobalDnsProvider(provider({ type: 'route53', route53: { region: 'eu-west-1', hostedZoneIds: ['/hostedzone/Z0123ABC'], secretRef: { name: 'creds', namespace: 'globaldns-system' } } })));
  t.deepEqual(p, {
    name: 'aws',
    type: 'route53',
    ownerId: 'aws',
    policy: 'sync',
    allowedNamespaces: [],
    adoptFrom: [],
    settings: { region: 'eu-west-1', hostedZoneIds: ['/hostedzone/Z0123ABC'] },
    secretRef: { name: 'creds', namespace: 'globaldns-system' },
  });
  t.deepEqual(await providerSettingsProblems(p), []);
  const r = route53Factory.resourceSettings?.safeParse(p.settings);
  t.deepEqual(r?.success ? r.data : r?.error.issues, { region: 'eu-west-1', hostedZoneIds: ['Z0123ABC'], domainFilters: [], rateLimitPerSecond: 5 });
  // A type and nothing else: every zone the default chain's credentials see, us-east-1.
  const bare = ok(t, parseGlobalDnsProvider(provider({ type: 'route53' })));
  t.deepEqual(await providerSettingsProblems(bare), []);
});

test('provider settings: every field', async (t) => {
  const p = ok(
    t,
    parseGlobalDnsProvider(
      provider({
        type: 'route53',
        route53: { region: 'us-east-1', zoneType: 'private', domainFilters: ['Example.COM.'], roleArn: 'arn:aws:iam::123456789012:role/globaldns', rateLimitPerSecond: 2 },
        ownerId: 'prod-1',
        policy: 'upsert-only',
        allowedNamespaces: ['shop', 'payments'],
        adoptFrom: ['rancher'],
      }),
    ),
  );
  t.is(p.ownerId, 'prod-1');
  t.is(p.policy, 'upsert-only');
  t.deepEqual(p.allowedNamespaces, ['shop', 'payments']);
  t.deepEqual(p.adoptFrom, ['rancher']);
  t.deepEqual(await providerSettingsProblems(p), []);
  const r = route53Factory.resourceSettings?.safeParse(p.settings);
  t.like(r?.success ? r.data : {}, { domainFilters: ['example.com'], zoneType: 'private', roleArn: 'arn:aws:iam::123456789012:role/globaldns', rateLimitPerSecond: 2 });
  t.is(p.secretRef, undefined);
});

test('embedded and the types of issue 5 are accepted', (t) => {
  t.is(ok(t, parseGlobalDnsProvider(provider({ type: 'embedded' }))).type, 'embedded');
  for (const type of ['cloudflare', 'rfc2136', 'powerdns'] as const) {
    const p = ok(t, parseGlobalDnsProvider(provider({ type, [type]: { server: 'x', secretRef: { name: 's', namespace: 'ns' } } })));
    t.is(p.type, type);
    t.deepEqual(p.secretRef, { name: 's', namespace: 'ns' });
    t.is(p.settings?.server, 'x');
  }
});

test('inline credentials are refused without echoing them', (t) => {
  const r = parseGlobalDnsProvider(provider({ type: 'route53', route53: { region: 'eu-west-1', accessKeyId: 'AKIAINLINE', secretAccessKey: 'very-secret-value' } }));
  const ps = problems(r);
  t.deepEqual(
    ps.map((p) => p.split(':')[0]),
    ['spec.route53.accessKeyId', 'spec.route53.secretAccessKey'],
  );
  t.regex(ps[0], /put them in a Secret and reference it with spec\.route53\.secretRef/);
  t.false(ps.join('\n').includes('very-secret-value'));
  t.false(ps.join('\n').includes('AKIAINLINE'));
  const cf = problems(parseGlobalDnsProvider(provider({ type: 'cloudflare', cloudflare: { apiToken: 'cf-token-value' } })));
  t.deepEqual(cf.map((p) => p.split(':')[0]), ['spec.cloudflare.apiToken']);
  t.false(cf.join('\n').includes('cf-token-value'));
});

test('provider problems carry their paths', async (t) => {
  t.deepEqual(problems(parseGlobalDnsProvider(provider({ type: 'bind9' }))), ['spec.type: unknown provider type; one of route53, embedded, cloudflare, rfc2136, powerdns, alidns']);
  t.deepEqual(problems(parseGlobalDnsProvider(provider({ type: 'embedded', route53: { region: 'eu-west-1' } }))), ['spec.route53: settings for route53, but the type is embedded']);
  t.deepEqual(
    problems(
      parseGlobalDnsProvider(
        provider({
          type: 'route53',
          route53: { region: 'eu-west-1', secretRef: { name: 'x' } },
          policy: 'always',
          allowedNamespaces: ['Bad_NS'],
          color: 'blue',
        }),
      ),
    ),
    [
      'spec.route53.secretRef.namespace: required',
      'spec.policy: must be one of sync, upsert-only, create-only',
      'spec.allowedNamespaces[0]: must be a DNS-1123 label (lower case letters, digits and "-", at most 63)',
      'spec: unknown key "color"',
    ],
  );
  // The settings block: the factory's schema (as the management runtime and `globaldns validate` check it).
  const p = ok(t, parseGlobalDnsProvider(provider({ type: 'route53', route53: { region: 'Ireland', zoneType: 'secret', hostedZoneIds: ['nope'], roleArn: 'root', endpoint: 'http://evil.example:80' } })));
  t.deepEqual(await providerSettingsProblems(p), [
    'spec.route53.region: not an AWS region (like eu-west-1)',
    'spec.route53.zoneType: must be public or private',
    'spec.route53.hostedZoneIds[0]: not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)',
    "spec.route53.endpoint: not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets GLOBALDNS_ROUTE53_ENDPOINT",
    'spec.route53.roleArn: not an IAM role ARN (like arn:aws:iam::123456789012:role/globaldns)',
  ]);
  const evil = ok(t, parseGlobalDnsProvider(provider({ type: 'route53', route53: { endpoint: 'http://evil.example:80' } })));
  t.deepEqual(await providerSettingsProblems(evil), [
    "spec.route53.endpoint: not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets GLOBALDNS_ROUTE53_ENDPOINT",
  ]);
});

test('an entry becomes the model entry, with defaults and Rancher project targets', (t) => {
  const e = ok(
    t,
    parseGlobalDns(
      entry({
        fqdn: '*.Apps.Example.com.',
        providerRef: 'aws',
        targets: [{ cluster: 'east' }, { projects: ['c-abc12:p-xyz34', 'c-def56:p-q1', 'c-abc12:p-r2'] }, { cluster: 'west', projects: ['c-w:p-1'], namespaceSelector: { matchLabels: { tier: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }, { key: 'legacy', operator: 'DoesNotExist' }] } }],
      }),
    ),
  );
  t.is(e.fqdn, '*.apps.example.com');
  t.is(e.ttl, 300);
  t.is(e.provider, 'aws');
  t.is(e.resource, 'shop/web');
  t.is(e.generation, 2);
  t.deepEqual(
    e.targets.map((x) => ({ cluster: x.cluster, projects: x.projects, selector: x.namespaceSelector?.text })),
    [
      { cluster: 'east', projects: undefined, selector: undefined },
      { cluster: 'c-abc12', projects: ['c-abc12:p-xyz34', 'c-abc12:p-r2'], selector: undefined },
      { cluster: 'c-def56', projects: ['c-def56:p-q1'], selector: undefined },
      { cluster: 'west', projects: ['c-w:p-1'], selector: 'tier=web,env notin (dev),!legacy' },
    ],
  );
  t.is(ok(t, parseGlobalDns(entry({ fqdn: 'a.example.com', ttl: 2147483647, providerRef: 'p', targets: [{ cluster: 'c' }] }))).ttl, 2147483647);
});

test('entry problems carry their paths', (t) => {
  t.deepEqual(problems(parseGlobalDns(entry({ fqdn: 'no_tld', ttl: 0, targets: [{}, { projects: ['p-1'] }, { cluster: 'x', namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }] }))), [
    'spec.fqdn: not a valid hostname (a leading "*." is allowed)',
    'spec.ttl: Number must be greater than or equal to 1',
    'spec.providerRef: required',
    'spec.targets[0]: a target needs a cluster or projects',
    'spec.targets[1].projects[0]: not a Rancher project id (like c-abc12:p-xyz34)',
    'spec.targets[2].namespaceSelector.matchExpressions[0].values: operator In needs values',
  ]);
  t.deepEqual(problems(parseGlobalDns(entry({ fqdn: 'a.example.com', ttl: 2147483648, providerRef: 'p', targets: [] }))), [
    'spec.ttl: Number must be less than or equal to 2147483647',
    'spec.targets: at least one target is needed',
  ]);
  t.deepEqual(problems(parseGlobalDns(entry({ fqdn: 'a.*.example.com', providerRef: 'p', targets: [{ cluster: 'c' }] }))), ['spec.fqdn: not a valid hostname (a leading "*." is allowed)']);
  t.deepEqual(problems(parseGlobalDns({ metadata: { name: 'x' }, spec: {} })).slice(0, 1), ['metadata.namespace: required']);
});

test("spec.proxy becomes the entry's proxy settings, a Secret without namespace in the entry's namespace", (t) => {
  const spec = (proxy: unknown) => entry({ fqdn: 'Shop.Example.com', providerRef: 'p', targets: [{ cluster: 'c' }], proxy });
  t.is(ok(t, parseGlobalDns(entry({ fqdn: 'a.example.com', providerRef: 'p', targets: [{ cluster: 'c' }] }))).proxy, undefined, 'absent: the proxy defaults');
  t.deepEqual(ok(t, parseGlobalDns(spec({}))).proxy, { enabled: true, upstreamScheme: 'http', redirectHttps: false });
  t.deepEqual(ok(t, parseGlobalDns(spec({ upstreamPort: 8443, upstreamScheme: 'https', redirectHttps: true, tls: { secretName: 'shop-tls' } }))).proxy, {
    enabled: true,
    upstreamPort: 8443,
    upstreamScheme: 'https',
    redirectHttps: true,
    tls: { secretName: 'shop/shop-tls' },
  });
  t.deepEqual(ok(t, parseGlobalDns(spec({ tls: { secretName: 'certs/wildcard', acme: true } }))).proxy?.tls, { secretName: 'certs/wildcard', acme: true });
  t.deepEqual(ok(t, parseGlobalDns(spec({ enabled: false, tls: { acme: true } }))).proxy, { enabled: false, upstreamScheme: 'http', redirectHttps: false, tls: { acme: true } });
});

test('spec.proxy problems carry their paths; certificate files are not for resources', (t) => {
  const spec = (proxy: unknown) => entry({ fqdn: 'a.example.com', providerRef: 'p', targets: [{ cluster: 'c' }], proxy });
  t.deepEqual(problems(parseGlobalDns(spec({ upstreamPort: 0, upstreamScheme: 'ftp', redirectHttps: 'yes' }))), [
    'spec.proxy.upstreamPort: Number must be greater than or equal to 1',
    'spec.proxy.upstreamScheme: must be http or https',
    'spec.proxy.redirectHttps: expected boolean, got string',
  ]);
  const files = problems(parseGlobalDns(spec({ tls: { certFile: '/etc/shadow', keyFile: '/etc/ssl/private/x.key' } })));
  t.is(files.length, 1);
  t.log(files[0]);
  t.regex(files[0], /^spec\.proxy\.tls: .*certFile.*keyFile/);
});

test('allowedNamespaces is checked across objects', (t) => {
  const p = ok(t, parseGlobalDnsProvider(provider({ type: 'embedded', allowedNamespaces: ['shop'] })));
  t.is(entryProviderProblem({ namespace: 'shop', provider: 'aws' }, p), undefined);
  t.is(entryProviderProblem({ namespace: 'other', provider: 'aws' }, p), 'spec.providerRef: GlobalDNSProvider "aws" does not allow entries of namespace other (allowedNamespaces: shop)');
  t.is(entryProviderProblem({ namespace: 'other', provider: 'gone' }, undefined), 'spec.providerRef: no GlobalDNSProvider "gone"');
  const open = ok(t, parseGlobalDnsProvider(provider({ type: 'embedded' })));
  t.is(entryProviderProblem({ namespace: 'anything', provider: 'aws' }, open), undefined);
});

test('setCondition keeps the transition time while the status holds', (t) => {
  const t0 = new Date('2024-01-01T00:00:00Z');
  const t1 = new Date('2024-01-01T01:00:00Z');
  let c = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: 'nothing programmed yet', observedGeneration: 1 }, t0);
  c = setCondition(c, { type: 'Ready', status: 'False', reason: 'Pending', message: 'still', observedGeneration: 2 }, t1);
  t.is(c[0].lastTransitionTime, '2024-01-01T00:00:00Z');
  t.is(c[0].message, 'still');
  c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' }, t1);
  t.is(c[0].lastTransitionTime, '2024-01-01T01:00:00Z');
  c = setCondition(c, { type: 'ProviderReady', status: 'True', reason: 'Ok', message: '' }, t1);
  t.deepEqual(c.map((x) => x.type), ['Ready', 'ProviderReady']);
});

test('the example resources pass the schemas', (t) => {
  const docs = ['deploy/examples/providers.yaml', 'deploy/examples/entries.yaml'].flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as { kind: string }));
  t.is(docs.length, 4);
  for (const d of docs) {
    const found = d.kind === 'GlobalDNS' ? problems(parseGlobalDns(d)) : problems(parseGlobalDnsProvider(d));
    t.deepEqual(found, [], d.kind);
  }
});

test('the CRDs declare the fields the schemas read', (t) => {
  const crd = (f: string) =>
    parseAllDocuments(readFileSync(f, 'utf8'))[0].toJS() as {
      spec: { scope: string; names: { kind: string }; versions: { name: string; subresources: unknown; additionalPrinterColumns: { name: string }[]; schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { properties?: Record<string, unknown> }> }; status: { properties: Record<string, unknown> } } } } }[] };
    };
  const gdns = crd('deploy/crds/globaldnses.globaldns.io.yaml').spec;
  t.is(gdns.scope, 'Namespaced');
  t.is(gdns.names.kind, 'GlobalDNS');
  const v = gdns.versions[0];
  t.is(v.name, 'v1alpha1');
  t.deepEqual(v.subresources, { status: {} });
  t.deepEqual(v.additionalPrinterColumns.map((c) => c.name), ['FQDN', 'Provider', 'Endpoints', 'Healthy', 'Ready', 'Age']);
  t.deepEqual(Object.keys(v.schema.openAPIV3Schema.properties.spec.properties).sort(), ['fqdn', 'healthCheck', 'providerRef', 'proxied', 'proxy', 'routing', 'targets', 'ttl']);
  const proxy = v.schema.openAPIV3Schema.properties.spec.properties.proxy as { properties: Record<string, { properties?: Record<string, { pattern?: string }> }>; additionalProperties?: unknown };
  t.deepEqual(Object.keys(proxy.properties).sort(), ['enabled', 'redirectHttps', 'tls', 'upstreamPort', 'upstreamScheme']);
  t.deepEqual(Object.keys(proxy.properties.tls.properties ?? {}).sort(), ['acme', 'secretName']);
  // The API server refuses additionalProperties beside properties; unknown fields are pruned instead.
  t.is(proxy.additionalProperties, undefined);
  t.is((proxy.properties.tls as { additionalProperties?: unknown }).additionalProperties, undefined);
  // The CRD's pattern and globaldns' own check agree.
  const pattern = new RegExp(proxy.properties.tls.properties!.secretName.pattern!);
  for (const name of ['web-tls', 'certs/web-tls', 'web.tls.v2']) {
    t.true(pattern.test(name), name);
    t.true(ok(t, parseGlobalDns(entry({ fqdn: 'a.example.com', providerRef: 'p', targets: [{ cluster: 'c' }], proxy: { tls: { secretName: name } } }))).proxy?.tls?.secretName !== undefined, name);
  }
  for (const name of ['Web', 'a/b/c', '/x', 'x/', '-x']) {
    t.false(pattern.test(name), name);
    t.deepEqual(problems(parseGlobalDns(entry({ fqdn: 'a.example.com', providerRef: 'p', targets: [{ cluster: 'c' }], proxy: { tls: { secretName: name } } }))), ['spec.proxy.tls.secretName: must be a Secret name, or namespace/name (DNS-1123)'], name);
  }
  t.deepEqual(Object.keys(v.schema.openAPIV3Schema.properties.status.properties).sort(), ['clusterEndpoints', 'conditions', 'endpoints', 'health', 'healthyEndpoints', 'observedGeneration', 'rejectedClaims']);
  const prov = crd('deploy/crds/globaldnsproviders.globaldns.io.yaml').spec;
  t.is(prov.scope, 'Cluster');
  t.is(prov.names.kind, 'GlobalDNSProvider');
  const pv = prov.versions[0];
  t.deepEqual(pv.subresources, { status: {} });
  const specProps = pv.schema.openAPIV3Schema.properties.spec.properties;
  t.deepEqual(Object.keys(specProps).sort(), ['adoptFrom', 'alidns', 'allowedNamespaces', 'cloudflare', 'ownerId', 'policy', 'powerdns', 'rfc2136', 'route53', 'type']);
  // The Route53 factory's settings but endpoint (the operator's), plus secretRef; patterns as the factory's.
  const r53 = specProps.route53.properties as Record<string, { pattern?: string; enum?: string[]; default?: unknown; items?: { pattern?: string } }>;
  t.deepEqual(Object.keys(r53).sort(), [...Object.keys(route53Settings.shape).filter((k) => k !== 'endpoint'), 'secretRef'].sort());
  t.is(r53.region.pattern, ROUTE53_PATTERNS.region.source);
  t.is(r53.hostedZoneIds.items?.pattern, ROUTE53_PATTERNS.hostedZoneId.source.replace(/\\\//g, '/'));
  t.is(r53.roleArn.pattern, ROUTE53_PATTERNS.roleArn.source.replace(/\\\//g, '/'));
  t.deepEqual(r53.zoneType.enum, ['public', 'private']);
  t.is(r53.zoneType.default, undefined, 'no zoneType: both kinds, as in the YAML config');
  t.deepEqual(Object.keys(pv.schema.openAPIV3Schema.properties.status.properties).sort(), ['conditions', 'entries', 'observedGeneration', 'zones']);
});

interface PropSchema {
  type?: string;
  enum?: string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  anyOf?: unknown[];
  properties?: Record<string, PropSchema>;
  items?: PropSchema;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
}

function entrySpecSchema(): Record<string, PropSchema> {
  const crd = parseAllDocuments(readFileSync('deploy/crds/globaldnses.globaldns.io.yaml', 'utf8'))[0].toJS() as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, PropSchema> } } } } }[] } };
  return crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
}

test('the CRD declares the health fields with the bounds, enums, patterns and defaults of src/config/health.ts', (t) => {
  const spec = entrySpecSchema();
  const hc = spec.healthCheck.properties ?? {};
  const routing = spec.routing.properties ?? {};
  // Every field globaldns reads, and no other.
  t.deepEqual(Object.keys(hc).sort(), Object.keys(healthCheckSchema.innerType().shape).sort());
  t.deepEqual(Object.keys(routing).sort(), Object.keys(routingSchema.shape).sort());
  t.like(spec.targets.items?.properties?.priority, { type: 'integer', minimum: 1, maximum: 1000 });
  t.deepEqual(hc.type.enum, healthCheckSchema.innerType().shape.type.removeDefault().options);
  t.deepEqual(routing.policy.enum, routingSchema.shape.policy.removeDefault().options);
  t.deepEqual(routing.whenAllDown.enum, routingSchema.shape.whenAllDown.removeDefault().options);
  t.like(hc.port, { minimum: 1, maximum: 65535 });
  t.like(hc.failureThreshold, { minimum: 1, maximum: 100 });
  t.like(hc.successThreshold, { minimum: 1, maximum: 100 });
  t.like(hc.bodyMatch, { minLength: 1, maxLength: 5120 });

  // The CRD's defaults are globaldns' own: the parsed check is the same with or without them.
  const crdDefaults = (props: Record<string, PropSchema>) => Object.fromEntries(Object.entries(props).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
  t.deepEqual(healthCheckSchema.parse(crdDefaults(hc)), healthCheckSchema.parse({}));
  t.deepEqual(routingSchema.parse(crdDefaults(routing)), routingSchema.parse({}));
  t.deepEqual(Object.keys(crdDefaults(hc)).sort(), ['failureThreshold', 'interval', 'successThreshold', 'timeout', 'type', 'verifyCertificate']);

  // Durations: an integer (seconds) or text; the text pattern accepts what globaldns parses.
  for (const d of [hc.interval, hc.timeout, routing.failback]) {
    t.true(d['x-kubernetes-int-or-string']);
    // Exactly the int-or-string form the API server accepts in a structural schema; the pattern sits beside it.
    t.deepEqual(d.anyOf, [{ type: 'integer' }, { type: 'string' }]);
    const pattern = new RegExp(d.pattern ?? '');
    for (const text of ['5s', '500ms', '1m30s', '1.5s', '2h', '0s']) t.true(pattern.test(text) && durationSchema.safeParse(text).success, text);
    for (const text of ['5', '5 s', '-1s', '5d', 'soon', '1.s', '']) t.false(pattern.test(text) || durationSchema.safeParse(text).success, text);
  }
  const status = new RegExp(hc.expectStatus.pattern ?? '');
  for (const text of ['200', '200-399', '200-399,418', ' 200 - 204 , 301']) t.true(status.test(text) && parseStatusRanges(text) !== undefined, text);
  for (const text of ['2000', '099', '600', 'abc', '200-', '', '200,,204']) t.false(status.test(text) || parseStatusRanges(text) !== undefined, text);
  // A reversed range passes the pattern; globaldns refuses it (and says so in the status).
  t.true(status.test('399-200'));
  t.is(parseStatusRanges('399-200'), undefined);
  const path = new RegExp(hc.path.pattern ?? '');
  for (const text of ['/', '/healthz', '/a/b?x=1']) t.true(path.test(text), text);
  for (const text of ['healthz', '/a b', '/\t', '']) t.false(path.test(text), text);

  // Rules the API server checks with CEL: timeout < interval (durations compared through
  // CEL's duration()), interval ≥ 100ms, http-only fields, verifyCertificate for https.
  const rules = (spec.healthCheck['x-kubernetes-validations'] ?? []).map((r) => r.message);
  t.deepEqual(rules, ['timeout must be shorter than interval', 'interval must be at least 100ms', 'path, host, expectStatus and bodyMatch are only for http and https checks', 'verifyCertificate is only for https checks']);
  const spec2 = (healthCheck: unknown, routingSpec?: unknown) => entry({ fqdn: 'a.example.com', providerRef: 'p', targets: [{ cluster: 'c', priority: 2 }], healthCheck, ...(routingSpec ? { routing: routingSpec } : {}) });
  // The same rules, as globaldns says them for a resource.
  t.deepEqual(problems(parseGlobalDns(spec2({ interval: '2s', timeout: '2s' }))), ['spec.healthCheck.timeout: must be above 0 and shorter than interval']);
  t.deepEqual(problems(parseGlobalDns(spec2({ interval: '50ms', timeout: '10ms' }))), ['spec.healthCheck.interval: must be at least 100ms']);
  t.deepEqual(problems(parseGlobalDns(spec2({ type: 'tcp', path: '/x' }))), ['spec.healthCheck.path: only for http and https checks']);
  t.deepEqual(problems(parseGlobalDns(spec2({ type: 'http', verifyCertificate: true }))), ['spec.healthCheck.verifyCertificate: only for https checks']);
  const parsed = ok(t, parseGlobalDns(spec2({ type: 'https', interval: 10, timeout: '1500ms', expectStatus: '200,204' }, { policy: 'failover', failback: '2m', whenAllDown: 'servfail' })));
  t.like(parsed.healthCheck, { type: 'https', port: 443, intervalMs: 10_000, timeoutMs: 1500, expectStatus: [[200, 200], [204, 204]] });
  t.deepEqual(parsed.routing, { policy: 'failover', failbackMs: 120_000, whenAllDown: 'servfail' });
  t.is(parsed.targets[0].priority, 2);
});
