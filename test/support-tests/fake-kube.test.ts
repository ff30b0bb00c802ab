// Tests of the fake Kubernetes API server, spoken to with the real @kubernetes/client-node 1.4.
import test from 'ava';
import { request } from 'node:https';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  NetworkingV1Api,
  type KubernetesObject,
  type V1Ingress,
} from '@kubernetes/client-node';
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
