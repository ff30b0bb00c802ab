// Certificate sources other than ACME issuance: files (reloaded on change, a bad pair keeps
// the old certificate) and kubernetes.io/tls Secrets read through the fake API server, plus
// cluster-mode ACME storage in Secrets (against pebble).
import test from 'ava';
import type { Logger } from '../../../src/kernel/index.js';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CertificateStore, TlsManager, readCertificate } from '../../../src/proxy/tls/index.js';
import { certificateSecretName, ACCOUNT_SECRET } from '../../../src/proxy/acme/index.js';
import { startFakeKube } from '../../support/fake-kube/index.js';
import { startPebble } from '../../support/pebble.js';
import { freePort } from '../../support/ports.js';
import { ManualClock } from '../../support/clock.js';
import { makeTestCa, type Leaf, type TestCa } from './test-ca.js';
import { startChallengeServer, startHttpsServer } from './servers.js';
import { curlHttps, servedSerial, waitFor } from './clients.js';

let ca: TestCa;
test.before(async () => {
  ca = await makeTestCa();
});
test.after.always(async () => {
  await ca?.close();
});

function captureLogger(lines: string[]): Logger {
  const put = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, msg, ...obj }));
  return { debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

function serialOf(leaf: Leaf): string {
  return readCertificate(leaf.certPem).serial;
}

/** Replaces a file the way cert tools do: write aside, rename over. */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

test('files: served at start, reloaded when replaced, and a bad pair keeps the old certificate', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tls-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const certFile = path.join(dir, 'web.pem');
  const keyFile = path.join(dir, 'web.key');
  const first = await ca.issue(['web.example.test']);
  await writeFile(certFile, first.certPem);
  await writeFile(keyFile, first.keyPem);

  const logs: string[] = [];
  const store = new CertificateStore();
  const manager = new TlsManager({ stateDir: dir, store, logger: captureLogger(logs), fileDebounceMs: 100 });
  manager.want([{ host: 'web.example.test', tls: { certFile, keyFile } }]);
  await manager.start();
  const server = await startHttpsServer(store);
  t.teardown(async () => {
    await manager.stop();
    await server.close();
  });
  t.is(await curlHttps('web.example.test', server.port, ca.caFile), `web.example.test:${server.port} ok\n`);
  t.is(await servedSerial('web.example.test', server.port), serialOf(first));

  const second = await ca.issue(['web.example.test']);
  await replaceFile(keyFile, second.keyPem);
  await replaceFile(certFile, second.certPem);
  await waitFor(() => store.lookup('web.example.test')?.certPem === second.certPem, 10_000, 'the reload');
  t.is(await servedSerial('web.example.test', server.port), serialOf(second));

  // a key that does not belong to the certificate: error reported, the last good one served
  const stranger = await ca.issue(['other.example.test']);
  await replaceFile(keyFile, stranger.keyPem);
  await waitFor(() => manager.status()[0].lastError !== undefined, 10_000, 'the reload error');
  t.regex(manager.status()[0].lastError!, /keyFile .*web\.key: the private key does not belong to the certificate$/);
  t.is(await servedSerial('web.example.test', server.port), serialOf(second));
  t.false(logs.some((l) => l.includes('PRIVATE KEY')));

  // entry removed: its certificate is withdrawn
  manager.want([]);
  await waitFor(() => !store.has('web.example.test'), 5000, 'the withdrawal');
  t.pass();
});

function tlsSecret(name: string, leaf: Leaf, type = 'kubernetes.io/tls') {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'globaldns' },
    type,
    data: { 'tls.crt': Buffer.from(leaf.certPem).toString('base64'), 'tls.key': Buffer.from(leaf.keyPem).toString('base64') },
  };
}

test('Secrets (cluster mode): a kubernetes.io/tls Secret named on the entry is served, and its rotation picked up', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(fake.kubeconfig('mgmt'));
  const first = await ca.issue(['shop.example.test']);
  fake.apply(tlsSecret('shop-tls', first));
  fake.apply(tlsSecret('opaque', first, 'Opaque'));

  const logs: string[] = [];
  const store = new CertificateStore();
  const clock = new ManualClock();
  const manager = new TlsManager({ stateDir: '/nonexistent', store, logger: captureLogger(logs), kube: { kubeConfig, namespace: 'globaldns', secretPollMs: 200 }, clock });
  manager.want([
    { host: 'shop.example.test', tls: { secretName: 'shop-tls' } },
    { host: 'odd.example.test', tls: { secretName: 'globaldns/opaque' } },
    { host: 'gone.example.test', tls: { secretName: 'missing' } },
  ]);
  await manager.start();
  const server = await startHttpsServer(store);
  t.teardown(async () => {
    await manager.stop();
    await server.close();
  });

  t.is(await curlHttps('shop.example.test', server.port, ca.caFile), `shop.example.test:${server.port} ok\n`);
  const errors = Object.fromEntries(manager.status().map((s) => [s.ref, s.lastError]));
  t.is(errors['globaldns/shop-tls'], undefined);
  t.is(errors['globaldns/opaque'], 'secret globaldns/opaque: type is Opaque, expected kubernetes.io/tls');
  t.is(errors['globaldns/missing'], 'secret globaldns/missing: HTTP 404 not found');
  t.false(logs.some((l) => l.includes('PRIVATE KEY') || l.includes(Buffer.from(first.keyPem).toString('base64').slice(0, 40))));

  // One poll timer per Secret; the rotation is seen at the next poll, not before.
  t.deepEqual(clock.pending(), [200, 200, 200]);
  const second = await ca.issue(['shop.example.test']);
  fake.apply(tlsSecret('shop-tls', second));
  await clock.advance(199);
  t.is(store.lookup('shop.example.test')?.certPem, first.certPem);
  await clock.advance(1);
  await waitFor(() => store.lookup('shop.example.test')?.certPem === second.certPem, 10_000, 'the rotated Secret');
  t.is(await servedSerial('shop.example.test', server.port), serialOf(second));
});

test('cluster mode ACME keeps the account key and certificates in Secrets; a new replica serves them without an order', async (t) => {
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(fake.kubeconfig('mgmt'));
  const host = 'k.globaldns.test';
  const httpPort = await freePort({ ipv6: false });
  const pebble = await startPebble({ httpPort, names: { [host]: '127.0.0.1' } });
  t.teardown(() => pebble.stop());
  const logs: string[] = [];
  const make = () => {
    const store = new CertificateStore();
    const manager = new TlsManager({
      stateDir: '/nonexistent',
      store,
      logger: captureLogger(logs),
      kube: { kubeConfig, namespace: 'globaldns' },
      acme: { directoryUrl: pebble.directoryUrl, caBundlePem: pebble.serverCaPem },
    });
    manager.want([{ host, tls: { acme: true } }]);
    t.teardown(() => manager.stop());
    return { store, manager };
  };
  const one = make();
  const challenge = await startChallengeServer(one.manager.challenges, httpPort);
  t.teardown(() => challenge.close());
  await one.manager.start();
  await one.manager.idle();
  t.is(one.manager.status()[0].lastError, undefined, logs.join('\n'));

  const secret = fake.get('Secret', 'globaldns', certificateSecretName(host)) as { type: string; data: Record<string, string> };
  t.is(secret.type, 'kubernetes.io/tls');
  t.is(Buffer.from(secret.data['tls.crt'], 'base64').toString(), one.store.lookup(host)!.certPem);
  t.truthy((fake.get('Secret', 'globaldns', ACCOUNT_SECRET) as { data: Record<string, string> }).data['account.key']);

  const ordersBefore = fake.requests.length;
  const two = make();
  await two.manager.start();
  t.is(two.store.lookup(host)?.certPem, one.store.lookup(host)!.certPem, 'loaded from the Secret at start');
  await two.manager.idle();
  t.false(fake.requests.slice(ordersBefore).some((r) => r.method !== 'GET'), 'no new certificate written');
  const rootDir = await mkdtemp(path.join(os.tmpdir(), 'tls-root-'));
  t.teardown(() => rm(rootDir, { recursive: true, force: true }));
  const root = path.join(rootDir, 'root.pem');
  await writeFile(root, await pebble.rootPem());
  const server = await startHttpsServer(two.store);
  t.teardown(() => server.close());
  t.is(await curlHttps(host, server.port, root), `${host}:${server.port} ok\n`);
});
