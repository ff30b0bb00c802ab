// The client-node side against the fake API server: every way a kubeconfig authenticates
// and verifies the server reaches our lists and watches unchanged.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ClientNodeApi, describeFailure, loadKubeConfig } from '../../../src/sources/index.js';
import { startFakeKube } from '../../support/fake-kube/index.js';
import type { FakeKube } from '../../support/fake-kube/index.js';

let fake: FakeKube;
const dir = mkdtempSync(join(tmpdir(), 'gdns-client-'));

test.before(async () => {
  fake = await startFakeKube();
  fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  fake.apply({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop', annotations: { 'globaldns.io/hostname': 'shop.example.test' } },
    spec: {},
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
  });
});

test.after.always(async () => {
  await fake?.stop();
});

type Doc = { clusters: { cluster: Record<string, unknown> }[]; users: { user: Record<string, unknown> }[] };

/** The fake's kubeconfig, edited, written to a file, loaded as serve would. */
function api(name: string, edit: (doc: Doc) => void = () => {}): ClientNodeApi {
  const doc = YAML.parse(fake.kubeconfig(name)) as Doc;
  edit(doc);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, YAML.stringify(doc));
  return new ClientNodeApi(loadKubeConfig({ kubeconfig: file, context: name }));
}

async function ingressNames(a: ClientNodeApi): Promise<string[]> {
  const list = await a.list('Ingress');
  return list.items.map((i) => `${i.kind} ${(i.metadata as { namespace: string; name: string }).namespace}/${(i.metadata as { name: string }).name}`);
}

test.serial('bearer token and CA data: lists carry each item kind and the list version', async (t) => {
  const a = api('token');
  const list = await a.list('Ingress');
  t.deepEqual(await ingressNames(a), ['Ingress shop/web']);
  t.regex(list.resourceVersion, /^\d+$/);
  t.deepEqual((await a.list('Namespace')).items.map((i) => i.kind), ['Namespace']);
});

test.serial('a client certificate instead of a token', async (t) => {
  const { certPem, keyPem } = fake.clientCert();
  const a = api('cert', (doc) => {
    doc.users[0].user = { 'client-certificate-data': Buffer.from(certPem).toString('base64'), 'client-key-data': Buffer.from(keyPem).toString('base64') };
  });
  t.deepEqual(await ingressNames(a), ['Ingress shop/web']);
});

test.serial('exec credentials', async (t) => {
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: fake.token } });
  const a = api('exec', (doc) => {
    doc.users[0].user = {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`], interactiveMode: 'Never' },
    };
  });
  t.deepEqual(await ingressNames(a), ['Ingress shop/web']);
});

test.serial('tls-server-name is the name the certificate is checked against', async (t) => {
  const ok = api('sni-ok', (doc) => {
    doc.clusters[0].cluster['tls-server-name'] = 'localhost';
  });
  t.deepEqual(await ingressNames(ok), ['Ingress shop/web']);
  const wrong = api('sni-wrong', (doc) => {
    doc.clusters[0].cluster['tls-server-name'] = 'api.elsewhere.test';
  });
  const e = await rejection(wrong.list('Ingress'));
  t.regex(describeFailure(e).message, /api\.elsewhere\.test|altnames/);
});

test.serial('a watch through the same connection settings sees changes; a wrong token is a 401', async (t) => {
  const a = api('watch');
  const list = await a.list('Ingress');
  const events: string[] = [];
  let done: unknown = 'open';
  const handle = await a.watch('Ingress', { resourceVersion: list.resourceVersion, timeoutSeconds: 30 }, (type, obj) => events.push(`${type} ${(obj.metadata as { name: string }).name}`), (err) => (done = err));
  fake.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'new', namespace: 'shop' }, spec: {} });
  for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(events, ['ADDED new']);
  t.is(done, 'open');
  handle.abort();
  fake.remove('Ingress', 'shop', 'new');

  const denied = new ClientNodeApi(loadKubeConfigFromText('denied', fake.kubeconfig('denied', { token: 'nope' })));
  const e = await rejection(denied.list('Namespace'));
  t.is(describeFailure(e).message, '401 Unauthorized');
});

function loadKubeConfigFromText(name: string, text: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return loadKubeConfig({ kubeconfig: file, context: name });
}

/** What a promise rejects with; node-fetch's FetchError is not an `Error` to ava's eyes. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
