// Tests of the fake Kubernetes API server, spoken to with the real @kubernetes/client-node 1.4.
import test from 'ava';
import { request } from 'node:https';
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer, NetworkingV1Api, type KubernetesObject, type V1Ingress } from '@kubernetes/client-node';
import { startFakeKube, type FakeKube } from '../support/fake-kube/index.js';

function ingress(name: string, ns = 'default', labels: Record<string, string> = {}, ip = '10.0.0.1'): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, labels, annotations: { 'globaldns.io/hostname': `${name}.example.com` } },
    spec: { rules: [{ host: `${name}.example.com` }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

function kubeConfig(fake: FakeKube, opts?: { token?: string; insecure?: boolean }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig('fake', opts));
  return kc;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

function raw(
  fake: FakeKube,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; token?: string | null } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? fake.token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
    const req = request(new URL(path, fake.url), { method, headers, ca: fake.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface WatchEventLine {
  type: string;
  object: KubernetesObject & { code?: number; reason?: string; metadata?: { resourceVersion?: string; name?: string } };
}

interface RawWatch {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: WatchEventLine[];
  ended: Promise<'end' | 'error'>;
  close(): void;
}

function rawWatch(fake: FakeKube, path: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, fake.url), { headers: { Authorization: `Bearer ${fake.token}` }, ca: fake.caPem, agent: false }, (res) => {
      const events: WatchEventLine[] = [];
      let buf = '';
      const ended = new Promise<'end' | 'error'>((done) => {
        res.on('end', () => done('end'));
        res.on('error', () => done('error'));
        res.on('aborted', () => done('error'));
      });
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as WatchEventLine);
          buf = buf.slice(i + 1);
        }
      });
      resolve({ status: res.statusCode ?? 0, headers: res.headers, events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** An informer on all Ingresses, recording what it reports. */
function ingressInformer(kc: KubeConfig) {
  const api = kc.makeApiClient(NetworkingV1Api);
  const informer = makeInformer<V1Ingress>(kc, '/apis/networking.k8s.io/v1/ingresses', () => api.listIngressForAllNamespaces());
  const log: string[] = [];
  const errors: unknown[] = [];
  let connects = 0;
  informer.on('add', (o) => log.push(`add ${o.metadata?.namespace}/${o.metadata?.name}`));
  informer.on('update', (o) => log.push(`update ${o.metadata?.namespace}/${o.metadata?.name} ${o.status?.loadBalancer?.ingress?.[0]?.ip}`));
  informer.on('delete', (o) => log.push(`delete ${o.metadata?.namespace}/${o.metadata?.name}`));
  informer.on('error', (e) => errors.push(e));
  informer.on('connect', () => connects++);
  return { informer, log, errors, connects: () => connects };
}

test('list with the real client: items, resourceVersion, kinds', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('a', 'one'));
  fake.apply(ingress('b', 'two'));
  fake.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'one' }, spec: { type: 'LoadBalancer' } });
  const kc = kubeConfig(fake);
  const ings = await kc.makeApiClient(NetworkingV1Api).listIngressForAllNamespaces();
  t.deepEqual(ings.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`), ['one/a', 'two/b']);
  t.is(ings.metadata?.resourceVersion, fake.resourceVersion());
  t.is(ings.items[0]?.status?.loadBalancer?.ingress?.[0]?.ip, '10.0.0.1');
  const svcs = await kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces();
  t.is(svcs.items.length, 1);
  t.is(svcs.items[0]?.spec?.type, 'LoadBalancer');
  const nsd = await kc.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace: 'two' });
  t.deepEqual(nsd.items.map((i) => i.metadata?.name), ['b']);

  const r = await raw(fake, 'GET', '/apis/networking.k8s.io/v1/ingresses');
  const list = r.json as { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: KubernetesObject[] };
  t.is(list.kind, 'IngressList');
  t.is(list.apiVersion, 'networking.k8s.io/v1');
  t.is(list.items[0]?.kind, 'Ingress');
  t.truthy(list.items[0]?.metadata?.uid);
  t.truthy(list.items[0]?.metadata?.creationTimestamp);
});

test('informer sees add, update and delete', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('pre'));
  const { informer, log, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('initial add', () => log.includes('add default/pre'));
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.apply(ingress('x', 'prod'));
  await waitFor('add x', () => log.includes('add prod/x'));
  fake.apply(ingress('x', 'prod', {}, '10.0.0.2'));
  await waitFor('update x', () => log.includes('update prod/x 10.0.0.2'));
  t.true(fake.remove('Ingress', 'prod', 'x'));
  await waitFor('delete x', () => log.includes('delete prod/x'));
  t.false(fake.remove('Ingress', 'prod', 'x'));
  t.deepEqual(errors, []);
  const watches = fake.requests.filter((r) => r.watch);
  t.is(watches.length, 1);
  t.is(watches[0]?.path, '/apis/networking.k8s.io/v1/ingresses');
  t.is(watches[0]?.query.resourceVersion, '1');
});

test('wrong token: 401 with a Status body', async (t) => {
  const fake = await startFakeKube({ token: 'right' });
  t.teardown(() => fake.stop());
  t.is(fake.token, 'right');
  const r = await raw(fake, 'GET', '/api/v1/services', undefined, { token: 'wrong' });
  t.is(r.status, 401);
  t.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  t.is((await raw(fake, 'GET', '/api/v1/services', undefined, { token: null })).status, 401);
  const kc = kubeConfig(fake, { token: 'wrong' });
  const err = await t.throwsAsync(kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces());
  t.true(err instanceof ApiException);
  t.is((err as ApiException<unknown>).code, 401);
  // the informer reports it on its error event and stops
  const { informer, errors } = ingressInformer(kc);
  await informer.start();
  await waitFor('informer error', () => errors.length > 0);
  t.is((errors[0] as ApiException<unknown>).code, 401);
});

test('watch: replay from a resourceVersion, then live; chunked JSON lines', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('a'));
  const rv = fake.resourceVersion();
  fake.apply(ingress('b'));
  fake.apply(ingress('a', 'default', {}, '10.0.0.9'));
  fake.remove('Ingress', 'default', 'b');
  const w = await rawWatch(fake, `/apis/networking.k8s.io/v1/ingresses?watch=true&resourceVersion=${rv}`);
  t.teardown(() => w.close());
  t.is(w.status, 200);
  t.is(w.headers['content-type'], 'application/json');
  t.is(w.headers['transfer-encoding'], 'chunked');
  await waitFor('replay', () => w.events.length === 3);
  t.deepEqual(w.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`), ['ADDED b 2', 'MODIFIED a 3', 'DELETED b 4']);
  t.is(w.events[0]?.object.kind, 'Ingress');
  fake.apply(ingress('c', 'other'));
  await waitFor('live', () => w.events.length === 4);
  t.is(w.events[3]?.type, 'ADDED');
  // without a resourceVersion: synthetic ADDED for the current state
  const w0 = await rawWatch(fake, '/apis/networking.k8s.io/v1/namespaces/other/ingresses?watch=1');
  t.teardown(() => w0.close());
  await waitFor('initial state', () => w0.events.length === 1);
  t.deepEqual(w0.events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED c']);
  t.is(fake.openWatchCount(), 2);
});

test('watch: label selectors, leaving the selection is DELETED', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const sel = encodeURIComponent('app=web,tier in (front,edge),!legacy');
  const w = await rawWatch(fake, `/apis/networking.k8s.io/v1/ingresses?watch=true&resourceVersion=0&labelSelector=${sel}`);
  t.teardown(() => w.close());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.apply(ingress('a', 'default', { app: 'web', tier: 'front' }));
  fake.apply(ingress('b', 'default', { app: 'web', tier: 'back' }));
  fake.apply(ingress('c', 'default', { app: 'web', tier: 'edge', legacy: 'yes' }));
  fake.apply(ingress('b', 'default', { app: 'web', tier: 'edge' })); // enters
  fake.apply(ingress('a', 'default', { app: 'api', tier: 'front' })); // leaves
  fake.remove('Ingress', 'default', 'b');
  await waitFor('events', () => w.events.length === 4);
  t.deepEqual(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED a', 'ADDED b', 'DELETED a', 'DELETED b']);
  const list = await raw(fake, 'GET', `/apis/networking.k8s.io/v1/ingresses?labelSelector=${encodeURIComponent('app!=web')}`);
  t.deepEqual((list.json as { items: KubernetesObject[] }).items.map((i) => i.metadata?.name), ['a']);
  const byField = await raw(fake, 'GET', `/apis/networking.k8s.io/v1/ingresses?fieldSelector=${encodeURIComponent('metadata.name=c')}`);
  t.deepEqual((byField.json as { items: KubernetesObject[] }).items.map((i) => i.metadata?.name), ['c']);
  t.is((await raw(fake, 'GET', '/api/v1/services?labelSelector=%3D%3Dbad')).status, 400);
});

test('watch: 410 Expired after compact, timeoutSeconds, bookmarks', async (t) => {
  const fake = await startFakeKube({ bookmarkIntervalMs: 50 });
  t.teardown(() => fake.stop());
  fake.apply(ingress('a'));
  const old = fake.resourceVersion();
  fake.compact();
  const w = await rawWatch(fake, `/apis/networking.k8s.io/v1/ingresses?watch=true&resourceVersion=${old}`);
  t.is(await w.ended, 'end');
  t.is(w.events.length, 1);
  t.is(w.events[0]?.type, 'ERROR');
  t.is(w.events[0]?.object.kind, 'Status');
  t.is(w.events[0]?.object.code, 410);
  t.is(w.events[0]?.object.reason, 'Expired');
  // the current resourceVersion is still good
  const w2 = await rawWatch(fake, `/apis/networking.k8s.io/v1/ingresses?watch=true&resourceVersion=${fake.resourceVersion()}&timeoutSeconds=1&allowWatchBookmarks=true`);
  const started = Date.now();
  t.is(await w2.ended, 'end');
  t.true(Date.now() - started >= 900);
  t.true(w2.events.length >= 3);
  t.true(w2.events.every((e) => e.type === 'BOOKMARK' && e.object.metadata?.resourceVersion === fake.resourceVersion()));
  t.is(fake.openWatchCount(), 0);
});

test('writes: create, 409 AlreadyExists, replace with a stale resourceVersion, lease conflicts via the real client', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const kc = kubeConfig(fake);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const created = await leases.createNamespacedLease({
    namespace: 'kube-system',
    body: { metadata: { name: 'globaldns' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } },
  });
  t.is(created.metadata?.namespace, 'kube-system');
  t.is(created.metadata?.resourceVersion, '1');
  t.is(created.kind, 'Lease');
  t.is(fake.get('Lease', 'kube-system', 'globaldns')?.kind, 'Lease');
  const dup = await t.throwsAsync(leases.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'globaldns' } } }));
  t.is((dup as ApiException<unknown>).code, 409);
  const replaced = await leases.replaceNamespacedLease({
    name: 'globaldns',
    namespace: 'kube-system',
    body: { ...created, spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: new Date() } },
  });
  t.is(replaced.metadata?.resourceVersion, '2');
  // the first object's resourceVersion is stale now
  const stale = await t.throwsAsync(
    leases.replaceNamespacedLease({ name: 'globaldns', namespace: 'kube-system', body: { ...created, spec: { holderIdentity: 'other' } } }),
  );
  t.true(stale instanceof ApiException);
  t.is((stale as ApiException<string>).code, 409);
  t.regex(String((stale as ApiException<string>).body), /Conflict/);
  const missing = await t.throwsAsync(leases.replaceNamespacedLease({ name: 'nope', namespace: 'kube-system', body: { metadata: { name: 'nope' } } }));
  t.is((missing as ApiException<unknown>).code, 404);
  await leases.deleteNamespacedLease({ name: 'globaldns', namespace: 'kube-system' });
  t.is(fake.get('Lease', 'kube-system', 'globaldns'), undefined);
});

test('writes: status subresource, merge and JSON patches, delete; each emits watch events', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const w = await rawWatch(fake, '/apis/networking.k8s.io/v1/ingresses?watch=true');
  t.teardown(() => w.close());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  const base = '/apis/networking.k8s.io/v1/namespaces/prod/ingresses';
  const post = await raw(fake, 'POST', base, ingress('web', 'prod'));
  t.is(post.status, 201);
  const obj = post.json as { metadata: { resourceVersion: string; generation: number }; status?: unknown };
  t.is(obj.status, undefined, 'status is not set by create');
  t.is(obj.metadata.generation, 1);
  const st = await raw(fake, 'PUT', `${base}/web/status`, { ...ingress('web', 'prod', {}, '1.2.3.4'), spec: { ignored: true } });
  t.is(st.status, 200);
  t.deepEqual(fake.get('Ingress', 'prod', 'web')?.status, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } });
  t.deepEqual(fake.get('Ingress', 'prod', 'web')?.spec, { rules: [{ host: 'web.example.com' }] });
  const merge = await raw(fake, 'PATCH', `${base}/web`, { metadata: { labels: { team: 'a' } }, spec: { rules: [{ host: 'x.example.com' }] } }, { contentType: 'application/merge-patch+json' });
  t.is(merge.status, 200);
  t.is((merge.json as { metadata: { generation: number } }).metadata.generation, 2);
  const smp = await raw(fake, 'PATCH', `${base}/web/status`, { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] } } }, { contentType: 'application/strategic-merge-patch+json' });
  t.is(smp.status, 200);
  const jp = await raw(fake, 'PATCH', `${base}/web`, [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }], { contentType: 'application/json-patch+json' });
  t.is(jp.status, 200);
  t.is((jp.json as { metadata: { annotations: Record<string, string> } }).metadata.annotations.x, 'y');
  const stalePatch = await raw(fake, 'PATCH', `${base}/web`, { metadata: { resourceVersion: '1' } }, { contentType: 'application/merge-patch+json' });
  t.is(stalePatch.status, 409);
  t.is((await raw(fake, 'PATCH', `${base}/web`, { a: 1 }, { contentType: 'text/plain' })).status, 415);
  const del = await raw(fake, 'DELETE', `${base}/web`);
  t.is(del.status, 200);
  t.is((await raw(fake, 'GET', `${base}/web`)).status, 404);
  t.is((await raw(fake, 'DELETE', `${base}/web`)).status, 404);
  await waitFor('events', () => w.events.length === 6);
  t.deepEqual(w.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  const rvs = w.events.map((e) => Number(e.object.metadata?.resourceVersion));
  t.deepEqual(rvs, [...rvs].sort((a, b) => a - b));
  t.is(new Set(rvs).size, rvs.length);
  // namespaces are cluster-scoped
  t.is((await raw(fake, 'POST', '/api/v1/namespaces', { metadata: { name: 'prod', labels: { 'field.cattle.io/projectId': 'p-1' } } })).status, 201);
  t.is((await raw(fake, 'GET', '/api/v1/namespaces/prod')).status, 200);
  t.is(fake.list('Namespace').length, 1);
});

test('discovery and unknown paths', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  t.is(((await raw(fake, 'GET', '/version')).json as { major: string }).major, '1');
  t.deepEqual(((await raw(fake, 'GET', '/api')).json as { versions: string[] }).versions, ['v1']);
  const groups = (await raw(fake, 'GET', '/apis')).json as { groups: { name: string }[] };
  t.deepEqual(groups.groups.map((g) => g.name).sort(), ['coordination.k8s.io', 'events.k8s.io', 'globaldns.io', 'networking.k8s.io']);
  const nf = await raw(fake, 'GET', '/apis/apps/v1/deployments');
  t.is(nf.status, 404);
  t.is((nf.json as { kind: string; reason: string }).reason, 'NotFound');
  t.is((await raw(fake, 'GET', '/api/v1/services/foo')).status, 404);
  t.is((await raw(fake, 'GET', '/api/v1/namespaces/a/leases')).status, 404);
});

test('client certificate signed by the CA is accepted instead of a token', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const { certPem, keyPem } = fake.clientCert();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: fake.url, caData: Buffer.from(fake.caPem).toString('base64') }],
    users: [{ name: 'u', certData: Buffer.from(certPem).toString('base64'), keyData: Buffer.from(keyPem).toString('base64') }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const list = await kc.makeApiClient(CoreV1Api).listNamespace();
  t.deepEqual(list.items, []);
  // insecure kubeconfig variant still carries the token
  const insecure = kubeConfig(fake, { insecure: true });
  t.is(insecure.getCurrentCluster()?.skipTLSVerify, true);
  await t.notThrowsAsync(insecure.makeApiClient(CoreV1Api).listNamespace());
});

function describeError(e: unknown): string {
  if (e instanceof ApiException) return `ApiException ${e.code}`;
  const err = e as { name?: string; code?: string | number; statusCode?: number; message?: string; type?: string };
  return `${err.name ?? 'Error'} code=${String(err.code ?? err.statusCode ?? '')} ${err.message ?? ''}`.trim();
}

test('fault: closeWatches — the informer re-watches from its last resourceVersion, no error', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('a'));
  const { informer, log, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.apply(ingress('b'));
  await waitFor('add b', () => log.includes('add default/b'));
  fake.closeWatches();
  await waitFor('re-watch', () => fake.requests.filter((r) => r.watch).length === 2 && fake.openWatchCount() === 1);
  const second = fake.requests.filter((r) => r.watch)[1];
  t.is(second?.query.resourceVersion, '2');
  t.is(fake.requests.filter((r) => !r.watch).length, 1, 'no re-list');
  fake.apply(ingress('c'));
  await waitFor('add c', () => log.includes('add default/c'));
  t.deepEqual(errors, []);
});

test('fault: compact + closeWatches — 410 makes the informer re-list', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('a'));
  const { informer, log, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.compact();
  fake.closeWatches();
  // ERROR 410 on the re-watch; the informer clears its resourceVersion and lists again
  await waitFor('re-list', () => fake.requests.filter((r) => !r.watch).length === 2 && fake.openWatchCount() === 1);
  const watches = fake.requests.filter((r) => r.watch).map((r) => r.query.resourceVersion);
  t.deepEqual(watches, ['1', '1', fake.resourceVersion()]);
  t.deepEqual(errors, []);
  fake.apply(ingress('b'));
  await waitFor('add b', () => log.includes('add default/b'));
  t.deepEqual(log, ['add default/a', 'add default/b']);
});

test('fault: resetConnections — the informer reports an error and stops', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const { informer, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.resetConnections();
  await waitFor('error', () => errors.length > 0);
  t.log('informer error after reset:', describeError(errors[0]));
  t.regex(describeError(errors[0]), /ECONNRESET|socket hang up|aborted|premature close/i);
  await new Promise((r) => setTimeout(r, 200));
  t.is(fake.requests.filter((r) => r.watch).length, 1, 'no restart by itself');
  t.is(fake.openWatchCount(), 0);
});

test('fault: failNext(500) — a list throws ApiException 500; a failed re-watch stops the informer', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const kc = kubeConfig(fake);
  fake.failNext();
  const err = await t.throwsAsync(kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces());
  t.is((err as ApiException<unknown>).code, 500);
  await t.notThrowsAsync(kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces());
  fake.failNext(503, 2);
  t.is((await raw(fake, 'GET', '/api/v1/services')).status, 503);
  const r = await raw(fake, 'GET', '/version');
  t.is(r.status, 503);
  t.is((r.json as { reason: string }).reason, 'ServiceUnavailable');
  t.is((await raw(fake, 'GET', '/version')).status, 200);

  const { informer, errors } = ingressInformer(kc);
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  fake.failNext(500);
  fake.closeWatches();
  await waitFor('error', () => errors.length > 0);
  t.log('informer error after a 500 on the watch:', describeError(errors[0]));
  t.is((errors[0] as { statusCode?: number }).statusCode, 500);
  // a failed list at start is reported the same way
  fake.failNext(500);
  const second = ingressInformer(kc);
  await second.informer.start();
  t.teardown(() => second.informer.stop());
  await waitFor('list error', () => second.errors.length > 0);
  t.is((second.errors[0] as ApiException<unknown>).code, 500);
});

test('fault: goDown / comeUp keeps the port; refused while down', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const url = fake.url;
  const kc = kubeConfig(fake);
  const { informer, errors } = ingressInformer(kc);
  await informer.start();
  t.teardown(() => informer.stop());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  await fake.goDown();
  await waitFor('informer notices', () => errors.length > 0);
  t.log('informer error when the server goes down mid-watch:', describeError(errors[0]));
  // node-fetch's FetchError is not an Error subclass as far as ava can tell
  const down = await kc.makeApiClient(CoreV1Api).listNamespace().then(() => undefined, (e: unknown) => e);
  t.log('list while down:', describeError(down));
  t.regex(describeError(down), /ECONNREFUSED/);
  await fake.comeUp();
  t.is(fake.url, url);
  await t.notThrowsAsync(kc.makeApiClient(CoreV1Api).listNamespace());
  // timed outage
  const started = Date.now();
  await fake.goDown(300);
  await t.throwsAsync(raw(fake, 'GET', '/version'));
  await waitFor('back up', () => Date.now() - started > 300);
  let ok = false;
  while (!ok && Date.now() - started < 3000) {
    ok = await raw(fake, 'GET', '/version').then((r) => r.status === 200, () => false);
  }
  t.true(ok);
  t.is(fake.url, url);
});

test('robustness: clients vanishing mid-watch; stop() ends open watches quickly', async (t) => {
  const fake = await startFakeKube();
  const ws = await Promise.all([1, 2, 3].map(() => rawWatch(fake, '/api/v1/services?watch=true')));
  await waitFor('watches open', () => fake.openWatchCount() === 3);
  ws[0].close();
  await waitFor('one gone', () => fake.openWatchCount() === 2);
  for (let i = 0; i < 50; i++) fake.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default' }, spec: { type: 'LoadBalancer' } });
  await waitFor('delivered', () => ws[1].events.length === 50);
  const { informer, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  await waitFor('informer watch open', () => fake.openWatchCount() === 3);
  const started = Date.now();
  await fake.stop();
  t.true(Date.now() - started < 1000);
  t.is(fake.openWatchCount(), 0);
  t.is(await ws[1].ended, 'end');
  t.is(await ws[2].ended, 'end');
  await informer.stop();
  t.true(errors.length <= 1);
});

test('an informer restarted after a fault resumes from its resourceVersion and misses nothing', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(ingress('a'));
  const { informer, log, errors } = ingressInformer(kubeConfig(fake));
  await informer.start();
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  await fake.goDown();
  await waitFor('error', () => errors.length === 1);
  // changes while the informer is down
  fake.apply(ingress('a', 'default', {}, '10.9.9.9'));
  fake.apply(ingress('b'));
  await fake.comeUp();
  await informer.start();
  await waitFor('caught up', () => log.includes('add default/b') && log.includes('update default/a 10.9.9.9'));
  const watches = fake.requests.filter((r) => r.watch).map((r) => r.query.resourceVersion);
  t.is(watches[watches.length - 1], '1', 'resumed from the old resourceVersion (replayed from history)');
  t.is(fake.requests.filter((r) => !r.watch).length, 1, 'no re-list');
  const before = errors.length;
  await informer.stop();
  await new Promise((r) => setTimeout(r, 100));
  t.log('errors reported by informer.stop():', errors.slice(before).map(describeError));
});

test('finalizers: DELETE marks, the update removing the last finalizer deletes; test-side delete and remove', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const w = await rawWatch(fake, '/apis/globaldns.io/v1alpha1/globaldnsproviders?watch=true');
  t.teardown(() => w.close());
  await waitFor('watch open', () => fake.openWatchCount() === 1);
  const base = '/apis/globaldns.io/v1alpha1/globaldnsproviders';
  const provider = { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name: 'p', finalizers: ['a.io/one', 'b.io/two'] }, spec: { type: 'embedded' } };
  t.is((await raw(fake, 'POST', base, provider)).status, 201);
  const del = await raw(fake, 'DELETE', `${base}/p`);
  t.is(del.status, 200);
  const marked = del.json as { metadata: { deletionTimestamp?: string; generation: number; resourceVersion: string } };
  t.truthy(marked.metadata.deletionTimestamp);
  t.is(marked.metadata.generation, 2);
  t.truthy(fake.get('GlobalDNSProvider', undefined, 'p'), 'still there while finalizers remain');
  // a second DELETE changes nothing
  const again = await raw(fake, 'DELETE', `${base}/p`);
  t.is((again.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion, marked.metadata.resourceVersion);
  // no new finalizers while deleting; deletionTimestamp cannot be cleared
  const adding = await raw(fake, 'PATCH', `${base}/p`, { metadata: { finalizers: ['a.io/one', 'b.io/two', 'c.io/three'] } }, { contentType: 'application/merge-patch+json' });
  t.is(adding.status, 422);
  const clearing = await raw(fake, 'PATCH', `${base}/p`, { metadata: { deletionTimestamp: null, finalizers: ['b.io/two'] } }, { contentType: 'application/merge-patch+json' });
  t.is(clearing.status, 200);
  t.is((clearing.json as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
  // the PUT removing the last finalizer completes the deletion
  const cur = (await raw(fake, 'GET', `${base}/p`)).json as { metadata: Record<string, unknown> };
  const put = await raw(fake, 'PUT', `${base}/p`, { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
  t.is(put.status, 200);
  t.is((await raw(fake, 'GET', `${base}/p`)).status, 404);
  await waitFor('events', () => w.events.length === 5);
  t.deepEqual(w.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  // without finalizers DELETE removes at once (as before)
  fake.apply({ ...provider, metadata: { name: 'q' } });
  t.is((await raw(fake, 'DELETE', `${base}/q`)).status, 200);
  t.is(fake.get('GlobalDNSProvider', undefined, 'q'), undefined);
  // test side: delete honours finalizers, remove does not
  fake.apply({ ...provider, metadata: { name: 'r', finalizers: ['a.io/one'] } });
  t.truthy(fake.delete('GlobalDNSProvider', undefined, 'r')?.metadata);
  t.truthy(fake.get('GlobalDNSProvider', undefined, 'r'));
  t.true(fake.remove('GlobalDNSProvider', undefined, 'r'));
  t.is(fake.get('GlobalDNSProvider', undefined, 'r'), undefined);
  fake.apply({ ...provider, metadata: { name: 's' } });
  t.is(fake.delete('GlobalDNSProvider', undefined, 's'), undefined);
  t.is(fake.get('GlobalDNSProvider', undefined, 's'), undefined);
});
