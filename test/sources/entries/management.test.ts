// The management source against the fake API server, through the real client library.
import test from 'ava';
import type { Clock, Logger } from '../../../src/kernel/index.js';
import { inspect } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { ManagementSource, ManagementWriter } from '../../../src/sources/index.js';
import type { ManagementView } from '../../../src/sources/index.js';
import { startFakeKube } from '../../support/fake-kube/index.js';
import type { FakeKube } from '../../support/fake-kube/index.js';

const SECRET_VALUE = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET1';
const ROTATED_VALUE = 'rotated-9f8e7d6c5b4a-SECRET2';
const KEY_ID = 'AKIAFAKEFAKEFAKE0001';

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function secret(value: string, name = 'route53-credentials', namespace = 'globaldns-system'): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: { accessKeyId: b64(KEY_ID), secretAccessKey: b64(value) } };
}

function provider(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name }, spec };
}

const route53 = (extra: Record<string, unknown> = {}) => provider('aws', { type: 'route53', route53: { region: 'eu-west-1', secretRef: { name: 'route53-credentials', namespace: 'globaldns-system' } }, ...extra });

function entry(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNS', metadata: { name, namespace }, spec };
}

const shop = (extra: Record<string, unknown> = {}) => entry('shop', 'web', { fqdn: 'shop.example.com', providerRef: 'aws', targets: [{ cluster: 'east' }], ...extra });

interface Setup {
  fake: FakeKube;
  source: ManagementSource;
  views: ManagementView[];
  lines: string[];
  clockOffset: { ms: number };
  writer: ManagementWriter;
  waitView(what: string, cond: (v: ManagementView) => boolean): Promise<ManagementView>;
}

async function setup(t: { teardown(fn: () => unknown): void }, opts: { namespace?: string; seed?: Record<string, unknown>[] } = {}): Promise<Setup> {
  const fake = await startFakeKube();
  for (const o of opts.seed ?? []) fake.apply(o);
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig('mgmt'));
  const views: ManagementView[] = [];
  const lines: string[] = [];
  const record = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''} ${inspect(obj, { depth: 10 })}`);
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const clockOffset = { ms: 0 };
  const clock: Clock = {
    now: () => Date.now() + clockOffset.ms,
    setTimeout(fn, ms) {
      const h = setTimeout(fn, ms);
      h.unref();
      return { cancel: () => clearTimeout(h) };
    },
  };
  const source = new ManagementSource({
    kubeConfig: kc,
    namespace: opts.namespace,
    logger,
    onChange: (v) => views.push(v),
    backoff: { initialMs: 50, maxMs: 200 },
    watchdogMs: 30_000,
    clock,
  });
  const writer = new ManagementWriter({ kubeConfig: kc, logger, clock, instance: 'test-replica' });
  source.start();
  t.teardown(async () => {
    source.stop();
    await fake.stop();
  });
  const waitView = async (what: string, cond: (v: ManagementView) => boolean): Promise<ManagementView> => {
    const until = Date.now() + 5000;
    for (;;) {
      const v = views[views.length - 1];
      if (v && cond(v)) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last view: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { fake, source, writer, views, lines, clockOffset, waitView };
}

test('create, update and delete of entries and providers show up in the view', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE)] });
  await s.source.whenSynced();
  t.deepEqual(s.views[0], { entries: [], providers: [], problems: [], lifecycle: [] });

  s.fake.apply(route53());
  s.fake.apply(shop());
  let v = await s.waitView('entry and provider', (x) => x.entries.length === 1 && x.providers.length === 1);
  t.like(v.entries[0], { fqdn: 'shop.example.com', ttl: 300, provider: 'aws', targets: [{ cluster: 'east' }], resource: 'shop/web', generation: 1 });
  t.like(v.providers[0], { name: 'aws', type: 'route53', generation: 1, spec: { ownerId: 'aws', policy: 'sync' } });
  t.is(v.providers[0].secret?.get('secretAccessKey'), SECRET_VALUE);
  t.is(v.providers[0].secret?.first('AWS_ACCESS_KEY_ID', 'accessKeyId'), KEY_ID);

  s.fake.apply(shop({ ttl: 60, targets: [{ projects: ['c-abc12:p-xyz34'] }] }));
  v = await s.waitView('entry update', (x) => x.entries[0]?.ttl === 60);
  t.deepEqual(v.entries[0].targets, [{ cluster: 'c-abc12', projects: ['c-abc12:p-xyz34'] }]);
  t.is(v.entries[0].generation, 2);

  s.fake.apply(route53({ policy: 'create-only', ownerId: 'prod' }));
  v = await s.waitView('provider update', (x) => x.providers[0]?.spec.policy === 'create-only');
  t.is(v.providers[0].spec.ownerId, 'prod');

  s.fake.apply(provider('dns', { type: 'embedded' }));
  s.fake.apply(entry('apps', 'wild', { fqdn: '*.apps.example.com', providerRef: 'dns', targets: [{ cluster: 'west', namespaceSelector: { matchLabels: { tier: 'web' } } }] }));
  v = await s.waitView('second entry', (x) => x.entries.length === 2);
  t.deepEqual(v.entries.map((e) => e.resource), ['apps/wild', 'shop/web']);
  t.is(v.entries[0].targets[0].namespaceSelector?.text, 'tier=web');

  s.fake.remove('GlobalDNS', 'shop', 'web');
  v = await s.waitView('entry deleted', (x) => x.entries.length === 1);
  t.is(v.entries[0].resource, 'apps/wild');

  // An entry left without its provider is a problem of that entry, not silently dropped.
  s.fake.remove('GlobalDNSProvider', undefined, 'dns');
  v = await s.waitView('provider deleted', (x) => x.providers.length === 1 && x.entries.length === 0);
  t.deepEqual(v.problems, [{ kind: 'GlobalDNS', resource: 'apps/wild', generation: 1, message: 'spec.providerRef: no GlobalDNSProvider "dns"' }]);
});

test('bad resources become problems with their paths', async (t) => {
  const s = await setup(t, {
    seed: [
      secret(SECRET_VALUE),
      route53({ allowedNamespaces: ['shop'] }),
      provider('bad', { type: 'bind9', policy: 'sometimes' }),
      provider('nosecret', { type: 'route53', route53: { region: 'eu-west-1', secretRef: { name: 'missing', namespace: 'globaldns-system' } } }),
      provider('inline', { type: 'route53', route53: { region: 'eu-west-1', secretAccessKey: SECRET_VALUE } }),
      shop(),
      entry('shop', 'broken', { fqdn: 'not a name', ttl: 0, providerRef: 'aws', targets: [{ projects: ['p-1'] }] }),
      entry('other', 'sneaky', { fqdn: 'other.example.com', providerRef: 'aws', targets: [{ cluster: 'east' }] }),
      entry('shop', 'uses-bad', { fqdn: 'bad.example.com', providerRef: 'nosecret', targets: [{ cluster: 'east' }] }),
    ],
  });
  await s.source.whenSynced();
  const v = s.source.view();
  t.deepEqual(v.entries.map((e) => e.resource), ['shop/web']);
  t.deepEqual(v.providers.map((p) => p.name), ['aws']);
  t.deepEqual(
    v.problems.map((p) => `${p.kind} ${p.resource}: ${p.message}`),
    [
      'GlobalDNS other/sneaky: spec.providerRef: GlobalDNSProvider "aws" does not allow entries of namespace other (allowedNamespaces: shop)',
      'GlobalDNS shop/broken: spec.fqdn: not a valid hostname (a leading "*." is allowed)',
      'GlobalDNS shop/broken: spec.ttl: Number must be greater than or equal to 1',
      'GlobalDNS shop/broken: spec.targets[0].projects[0]: not a Rancher project id (like c-abc12:p-xyz34)',
      'GlobalDNS shop/uses-bad: spec.providerRef: GlobalDNSProvider "nosecret" cannot be used (see its status)',
      'GlobalDNSProvider bad: spec.type: unknown provider type; one of route53, embedded, cloudflare, rfc2136, powerdns, alidns',
      'GlobalDNSProvider bad: spec.policy: must be one of sync, upsert-only, create-only',
      'GlobalDNSProvider inline: spec.route53.secretAccessKey: credentials may not be written into the resource; put them in a Secret and reference it with spec.route53.secretRef',
      'GlobalDNSProvider nosecret: spec.route53.secretRef: Secret globaldns-system/missing not found',
    ],
  );
  // Each problem is logged once, at warn.
  t.is(s.lines.filter((l) => l.startsWith('warn') && l.includes('Secret globaldns-system/missing not found')).length, 1);

  // The missing Secret appears: the provider and its entry recover.
  s.fake.apply(secret(SECRET_VALUE, 'missing'));
  const fixed = await s.waitView('secret created', (x) => x.providers.some((p) => p.name === 'nosecret'));
  t.true(fixed.entries.some((e) => e.resource === 'shop/uses-bad'));

  // A Secret without the keys Route53 needs: its key names (never values) in the problem.
  s.fake.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'missing', namespace: 'globaldns-system' }, data: { token: b64(SECRET_VALUE) } });
  const lacking = await s.waitView('secret without keys', (x) => x.problems.some((p) => p.resource === 'nosecret'));
  t.deepEqual(
    lacking.problems.filter((p) => p.resource === 'nosecret').map((p) => p.message),
    ['spec.route53.secretRef: Secret globaldns-system/missing has no accessKeyId and no secretAccessKey (it has: token)'],
  );

  // Two entries for one name: the older keeps it.
  s.fake.apply(entry('shop', 'web2', { fqdn: 'shop.example.com', providerRef: 'aws', targets: [{ cluster: 'west' }] }));
  const dup = await s.waitView('duplicate', (x) => x.problems.some((p) => p.resource === 'shop/web2'));
  t.is(dup.problems.find((p) => p.resource === 'shop/web2')?.message, 'spec.fqdn: shop.example.com is already published by GlobalDNS shop/web');
  t.true(dup.entries.some((e) => e.resource === 'shop/web'));
  t.false(s.lines.join('\n').includes(SECRET_VALUE));
});

test('status writes land through the subresource and bump no generation', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE), route53(), shop()] });
  await s.source.whenSynced();
  const viewsBefore = s.views.length;
  const ready = { type: 'Ready', status: 'False' as const, reason: 'NotProgrammed', message: 'no record written yet', observedGeneration: 1 };
  await s.writer.writeStatus('GlobalDNS', 'shop', 'web', {
    clusterEndpoints: { east: ['10.0.0.1'] },
    endpoints: ['10.0.0.1'],
    rejectedClaims: [{ cluster: 'west', namespace: 'x', kind: 'Ingress', name: 'i', reason: 'cluster west is not a target' }],
    conditions: [ready, { type: 'ProviderReady', status: 'True', reason: 'Ready', message: '' }],
  });
  let stored = s.fake.get('GlobalDNS', 'shop', 'web') as { metadata: { generation: number }; status: { endpoints: string[]; conditions: { type: string; lastTransitionTime: string }[] } };
  t.is(stored.metadata.generation, 1);
  t.deepEqual(stored.status.endpoints, ['10.0.0.1']);
  const firstTime = stored.status.conditions[0].lastTransitionTime;
  t.regex(firstTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  // The same status later: the transition time stays; a changed status moves it.
  s.clockOffset.ms = 60_000;
  await s.writer.writeStatus('GlobalDNS', 'shop', 'web', (current) => ({ ...current, conditions: [{ ...ready, message: 'still nothing' }] }));
  stored = s.fake.get('GlobalDNS', 'shop', 'web') as typeof stored;
  t.is(stored.status.conditions[0].lastTransitionTime, firstTime);
  t.deepEqual(stored.status.endpoints, ['10.0.0.1']);
  await s.writer.writeStatus('GlobalDNS', 'shop', 'web', { conditions: [{ ...ready, status: 'True', reason: 'Synced' }] });
  stored = s.fake.get('GlobalDNS', 'shop', 'web') as typeof stored;
  t.not(stored.status.conditions[0].lastTransitionTime, firstTime);
  t.is(stored.metadata.generation, 1);

  // Provider status (cluster-scoped).
  await s.writer.writeStatus('GlobalDNSProvider', undefined, 'aws', { zones: ['example.com'], entries: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'ZonesFound', message: '1 zone' }] });
  const p = s.fake.get('GlobalDNSProvider', undefined, 'aws') as { metadata: { generation: number }; status: { zones: string[] } };
  t.deepEqual(p.status.zones, ['example.com']);
  t.is(p.metadata.generation, 1);

  // A status write is no change of the view.
  await new Promise((r) => setTimeout(r, 100));
  t.is(s.views.length, viewsBefore);

  // Only the status subresource was written.
  const writes = s.fake.requests.filter((r) => r.method === 'PUT' || r.method === 'PATCH');
  t.true(writes.length === 4 && writes.every((r) => r.path.endsWith('/status')));

  await t.throwsAsync(() => s.writer.writeStatus('GlobalDNS', 'shop', 'nope', { endpoints: [] }), { message: 'write status of GlobalDNS shop/nope: not found' });
});

test('a 409 on a status write is retried from a fresh read', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE), route53(), shop()] });
  await s.source.whenSynced();
  s.fake.failNext(409, 2, { method: 'PUT', path: /\/status$/ });
  let calls = 0;
  await s.writer.writeStatus('GlobalDNS', 'shop', 'web', (current) => {
    calls++;
    return { ...current, endpoints: ['10.0.0.9'] };
  });
  t.is(calls, 3);
  t.deepEqual((s.fake.get('GlobalDNS', 'shop', 'web') as { status: { endpoints: string[] } }).status.endpoints, ['10.0.0.9']);
  const puts = s.fake.requests.filter((r) => r.method === 'PUT');
  const gets = s.fake.requests.filter((r) => r.method === 'GET' && r.path === '/apis/globaldns.io/v1alpha1/namespaces/shop/globaldnses/web');
  t.is(puts.length, 3);
  t.is(gets.length, 3);

  // A real conflict: someone changes the object between our read and our write.
  const { api } = s.source as unknown as { api: { get: (...a: unknown[]) => Promise<Record<string, unknown> | undefined> } };
  const realGet = api.get.bind(api);
  let interfered = false;
  api.get = async (...a: unknown[]) => {
    const o = await realGet(...a);
    if (!interfered) {
      interfered = true;
      s.fake.apply({ ...shop(), metadata: { name: 'web', namespace: 'shop', labels: { touched: 'yes' } } });
    }
    return o;
  };
  await s.writer.writeStatus('GlobalDNS', 'shop', 'web', { endpoints: ['10.0.0.10'] });
  t.deepEqual((s.fake.get('GlobalDNS', 'shop', 'web') as { status: { endpoints: string[] } }).status.endpoints, ['10.0.0.10']);

  // Conflicts that never end: a clear error after the configured attempts.
  s.fake.failNext(409, 10, { method: 'PUT', path: /\/status$/ });
  await t.throwsAsync(() => s.writer.writeStatus('GlobalDNS', 'shop', 'web', { endpoints: [] }), { message: /^write status of GlobalDNS shop\/web: 409 Conflict.*\(after 5 attempts\)$/ });
});

test('secret rotation is picked up', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE), route53()] });
  await s.source.whenSynced();
  t.is(s.source.view().providers[0].secret?.get('secretAccessKey'), SECRET_VALUE);
  s.fake.apply(secret(ROTATED_VALUE));
  const v = await s.waitView('rotated', (x) => x.providers[0]?.secret?.get('secretAccessKey') === ROTATED_VALUE);
  t.is(v.providers[0].generation, 1);
  // Deleting the Secret makes the provider unusable, with a problem.
  s.fake.remove('Secret', 'globaldns-system', 'route53-credentials');
  const gone = await s.waitView('secret deleted', (x) => x.providers.length === 0);
  t.deepEqual(gone.problems.map((p) => p.message), ['spec.route53.secretRef: Secret globaldns-system/route53-credentials not found']);
});

test('secret values never reach a log line, an error, or a serialised view', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE), route53(), shop()] });
  await s.source.whenSynced();
  const v = s.source.view();
  t.is(v.providers[0].secret?.get('secretAccessKey'), SECRET_VALUE);
  t.false(JSON.stringify(v).includes(SECRET_VALUE));
  t.false(inspect(v, { depth: 20 }).includes(SECRET_VALUE));
  t.false(String(v.providers[0].secret).includes(SECRET_VALUE));
  t.deepEqual(Object.keys(v.providers[0].secret ?? {}), ['ref', 'resourceVersion']);

  // Failures around the Secret: a broken list, a reset watch, rotation, a bad Secret, deletion.
  s.fake.failNext(500, 3, { path: /secrets/ });
  s.fake.resetConnections();
  s.fake.apply(secret(ROTATED_VALUE));
  await s.waitView('rotated', (x) => x.providers[0]?.secret?.get('secretAccessKey') === ROTATED_VALUE);
  s.fake.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'route53-credentials', namespace: 'globaldns-system' }, data: { wrongKey: b64(SECRET_VALUE) } });
  await s.waitView('bad secret', (x) => x.providers.length === 0);
  s.fake.remove('Secret', 'globaldns-system', 'route53-credentials');
  await s.waitView('deleted', (x) => x.problems.some((p) => p.message.includes('not found')));
  s.fake.apply(provider('leak', { type: 'route53', route53: { region: 'eu-west-1', secretAccessKey: SECRET_VALUE, sessionToken: ROTATED_VALUE } }));
  const leak = await s.waitView('inline provider', (x) => x.problems.some((p) => p.resource === 'leak'));
  const writeErr = await s.writer.writeStatus('GlobalDNSProvider', undefined, 'missing', {}).catch((e: Error) => e.message);

  t.true(s.lines.length > 3, 'the logger saw something');
  const all = [...s.lines, JSON.stringify(leak), String(writeErr)].join('\n');
  t.false(all.includes(SECRET_VALUE));
  t.false(all.includes(ROTATED_VALUE));
  t.false(all.includes(b64(SECRET_VALUE)));
  t.false(all.includes(b64(ROTATED_VALUE)));
});

test('events are recorded and repeats within 10 minutes raise the count', async (t) => {
  const s = await setup(t, { seed: [secret(SECRET_VALUE), route53(), shop()] });
  await s.source.whenSynced();
  const gdns = s.fake.get('GlobalDNS', 'shop', 'web') as { metadata: { uid: string } };
  const involved = { kind: 'GlobalDNS', namespace: 'shop', name: 'web', uid: gdns.metadata.uid };
  t.true(await s.writer.recordEvent(involved, 'Warning', 'ChangeRejected', 'Route53 rejected UPSERT shop.example.com A'));
  await Promise.all([
    s.writer.recordEvent(involved, 'Warning', 'ChangeRejected', 'Route53 rejected UPSERT shop.example.com A'),
    s.writer.recordEvent(involved, 'Warning', 'ChangeRejected', 'Route53 rejected UPSERT shop.example.com A'),
  ]);
  let events = s.fake.list('Event') as { metadata: { namespace: string }; count: number; type: string; reason: string; involvedObject: { uid: string; kind: string }; source: { component: string } }[];
  t.is(events.length, 1);
  t.like(events[0], { count: 3, type: 'Warning', reason: 'ChangeRejected', involvedObject: { uid: gdns.metadata.uid, kind: 'GlobalDNS' }, source: { component: 'globaldns' }, metadata: { namespace: 'shop' } });

  // Another reason is another Event; a cluster-scoped object's Events go to default.
  await s.writer.recordEvent(involved, 'Normal', 'Synced', 'records written');
  await s.writer.recordEvent({ kind: 'GlobalDNSProvider', name: 'aws' }, 'Normal', 'ZonesFound', '1 zone');
  events = s.fake.list('Event') as typeof events;
  t.is(events.length, 3);
  t.true(events.some((e) => e.metadata.namespace === 'default' && e.involvedObject.kind === 'GlobalDNSProvider'));

  // After the window, a new Event.
  s.clockOffset.ms = 11 * 60_000;
  await s.writer.recordEvent(involved, 'Warning', 'ChangeRejected', 'Route53 rejected UPSERT shop.example.com A');
  events = s.fake.list('Event') as typeof events;
  t.is(events.filter((e) => e.reason === 'ChangeRejected').length, 2);

  // An Event that expired on the server is written again; a failure is reported, not thrown.
  for (const e of s.fake.list('Event') as { metadata: { name: string; namespace: string } }[]) s.fake.remove('Event', e.metadata.namespace, e.metadata.name);
  t.true(await s.writer.recordEvent(involved, 'Warning', 'ChangeRejected', 'Route53 rejected UPSERT shop.example.com A'));
  t.is(s.fake.list('Event').length, 1);
  s.fake.failNext(403, 1, { method: 'POST' });
  t.false(await s.writer.recordEvent(involved, 'Normal', 'Other', 'x'));
  t.true(s.lines.some((l) => l.includes('recording event Other on GlobalDNS shop/web failed: 403 Forbidden')));
});

test('a namespace limits the entries watched; watch failures keep the last view', async (t) => {
  const s = await setup(t, {
    namespace: 'shop',
    seed: [secret(SECRET_VALUE), route53(), shop(), entry('other', 'x', { fqdn: 'other.example.com', providerRef: 'aws', targets: [{ cluster: 'east' }] })],
  });
  await s.source.whenSynced();
  t.deepEqual(s.source.view().entries.map((e) => e.resource), ['shop/web']);
  t.true(s.fake.requests.some((r) => r.path === '/apis/globaldns.io/v1alpha1/namespaces/shop/globaldnses'));

  await s.fake.goDown();
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(s.source.view().entries.map((e) => e.resource), ['shop/web']);
  t.true(s.source.failures().length > 0);
  s.fake.apply(shop({ ttl: 42 }));
  await s.fake.comeUp();
  await s.waitView('recovered', (x) => x.entries[0]?.ttl === 42);
  t.true(s.lines.some((l) => l.startsWith('warn') && /management: (list|watch) /.test(l)));
});
