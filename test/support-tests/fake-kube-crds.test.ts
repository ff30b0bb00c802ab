// fake-kube's custom resources, Secrets and Events, spoken to with the real @kubernetes/client-node 1.4.
import test from 'ava';
import { request } from 'node:https';
import { ApiException, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { startFakeKube, type FakeKube } from '../support/fake-kube/index.js';

const G = { group: 'globaldns.io', version: 'v1alpha1' };

function clients(fake: FakeKube): { custom: CustomObjectsApi; core: CoreV1Api; events: EventsV1Api } {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig('fake'));
  return { custom: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api), events: kc.makeApiClient(EventsV1Api) };
}

function getJson(fake: FakeKube, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, fake.url), { headers: { Authorization: `Bearer ${fake.token}` }, ca: fake.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end();
  });
}

type Obj = { metadata: { resourceVersion: string; generation: number; namespace?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> };

async function code(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof ApiException ? e.code : -1;
  }
}

test('GlobalDNS: CRUD, status subresource, generation only on spec changes, 409 on stale status', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const { custom } = clients(fake);
  const ns = { ...G, plural: 'globaldnses', namespace: 'shop' };
  const created = (await custom.createNamespacedCustomObject({
    ...ns,
    body: { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNS', metadata: { name: 'web' }, spec: { fqdn: 'a.example.com' }, status: { endpoints: ['dropped'] } },
  })) as Obj;
  t.is(created.metadata.generation, 1);
  t.is(created.status, undefined, 'status is dropped on create');

  const withStatus = (await custom.replaceNamespacedCustomObjectStatus({ ...ns, name: 'web', body: { ...created, spec: { fqdn: 'ignored.example.com' }, status: { endpoints: ['10.0.0.1'] } } })) as Obj;
  t.is(withStatus.metadata.generation, 1);
  t.deepEqual(withStatus.status, { endpoints: ['10.0.0.1'] });
  t.deepEqual(withStatus.spec, { fqdn: 'a.example.com' }, 'a status write changes no spec');
  t.is(await code(custom.replaceNamespacedCustomObjectStatus({ ...ns, name: 'web', body: { ...created, status: { endpoints: [] } } })), 409);

  const relabelled = (await custom.replaceNamespacedCustomObject({ ...ns, name: 'web', body: { ...withStatus, metadata: { ...withStatus.metadata, labels: { a: 'b' } } } })) as Obj;
  t.is(relabelled.metadata.generation, 1, 'metadata changes bump no generation');
  const respec = (await custom.replaceNamespacedCustomObject({ ...ns, name: 'web', body: { ...relabelled, spec: { fqdn: 'b.example.com' }, status: { endpoints: ['nope'] } } })) as Obj;
  t.is(respec.metadata.generation, 2);
  t.deepEqual(respec.status, { endpoints: ['10.0.0.1'] }, 'a main write keeps the status');

  const list = (await custom.listClusterCustomObject({ ...G, plural: 'globaldnses' })) as { kind: string; items: Obj[] };
  t.is(list.kind, 'GlobalDNSList');
  t.is(list.items.length, 1);
  await custom.deleteNamespacedCustomObject({ ...ns, name: 'web' });
  t.is(fake.list('GlobalDNS').length, 0);
});

test('GlobalDNSProvider is cluster-scoped with a status subresource', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const { custom } = clients(fake);
  const p = { ...G, plural: 'globaldnsproviders' };
  const created = (await custom.createClusterCustomObject({ ...p, body: { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name: 'aws', namespace: 'x' }, spec: { type: 'embedded' } } })) as Obj;
  t.is(created.metadata.namespace, undefined);
  const s = (await custom.replaceClusterCustomObjectStatus({ ...p, name: 'aws', body: { ...created, status: { entries: 2 } } })) as Obj;
  t.deepEqual(s.status, { entries: 2 });
  t.is(s.metadata.generation, 1);
  t.is(await code(custom.getNamespacedCustomObject({ ...p, namespace: 'x', name: 'aws' })), 404);
  t.deepEqual(((await custom.getClusterCustomObject({ ...p, name: 'aws' })) as Obj).status, { entries: 2 });
});

test('Secrets, core Events and events.k8s.io Events; discovery of v1alpha1', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const { core, events } = clients(fake);
  await core.createNamespacedSecret({ namespace: 'ops', body: { metadata: { name: 'creds' }, data: { k: Buffer.from('v').toString('base64') } } });
  t.is((await core.readNamespacedSecret({ namespace: 'ops', name: 'creds' })).data?.k, Buffer.from('v').toString('base64'));
  t.is((await core.listSecretForAllNamespaces()).items.length, 1);

  const ev = await core.createNamespacedEvent({ namespace: 'ops', body: { metadata: { name: 'e1' }, involvedObject: { kind: 'GlobalDNS', name: 'web' }, reason: 'R', message: 'm', count: 1 } });
  await core.replaceNamespacedEvent({ namespace: 'ops', name: 'e1', body: { ...ev, count: 2 } });
  t.is((fake.get('Event', 'ops', 'e1') as { count: number }).count, 2);
  await events.createNamespacedEvent({ namespace: 'ops', body: { metadata: { name: 'e2' }, eventTime: new Date(), reason: 'R', action: 'A', reportingController: 'c', reportingInstance: 'i' } });
  t.is(fake.list('Event').length, 1, 'the core and events.k8s.io Events are kept apart');
  t.is(fake.list('Event', 'events.k8s.io/v1').length, 1);
  t.truthy(fake.get('Event', 'ops', 'e2', 'events.k8s.io/v1'));

  const discovery = (await getJson(fake, '/apis/globaldns.io/v1alpha1')) as { groupVersion: string; resources: { name: string; namespaced: boolean }[] };
  t.is(discovery.groupVersion, 'globaldns.io/v1alpha1');
  t.deepEqual(discovery.resources.map((r) => `${r.name}:${r.namespaced}`), ['globaldnses:true', 'globaldnses/status:true', 'globaldnsproviders:false', 'globaldnsproviders/status:false']);
  const group = (await getJson(fake, '/apis/globaldns.io')) as { preferredVersion: { groupVersion: string } };
  t.is(group.preferredVersion.groupVersion, 'globaldns.io/v1alpha1');
});
