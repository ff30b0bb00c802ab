// The CertificateStore behind a real HTTPS server, checked with real clients (curl with
// --cacert, openssl s_client): the right certificate per SNI name, wildcards, and a swap
// while a client keeps making requests.
import test from 'ava';
import { CertificateStore, bundleFromPem, readCertificate } from '../../../src/proxy/tls/index.js';
import { makeTestCa, type TestCa } from './test-ca.js';
import { startHttpsServer } from './servers.js';
import { curlHttps, loopRequests, newLoadResult, servedSerial, waitFor } from './clients.js';

let ca: TestCa;
test.before(async () => {
  ca = await makeTestCa();
});
test.after.always(async () => {
  await ca?.close();
});

async function bundleFor(names: string[]) {
  const leaf = await ca.issue(names);
  return bundleFromPem(leaf.certPem, leaf.keyPem, names.join(','));
}

test('SNI picks each name its own certificate (curl --cacert, openssl s_client)', async (t) => {
  const store = new CertificateStore();
  const a = await bundleFor(['a.example.test']);
  const b = await bundleFor(['b.example.test']);
  store.set(a);
  store.set(b);
  const server = await startHttpsServer(store);
  t.teardown(() => server.close());

  t.is(await curlHttps('a.example.test', server.port, ca.caFile), 'a.example.test:' + server.port + ' ok\n');
  t.is(await curlHttps('b.example.test', server.port, ca.caFile), 'b.example.test:' + server.port + ' ok\n');
  t.is(await servedSerial('a.example.test', server.port), readCertificate(a.certPem).serial);
  t.is(await servedSerial('B.Example.Test', server.port), readCertificate(b.certPem).serial, 'SNI is case-insensitive');
  // a name with no certificate gets no handshake rather than someone else's certificate
  await t.throwsAsync(curlHttps('c.example.test', server.port, ca.caFile));
});

test('a wildcard certificate serves one label below it; an exact certificate wins over it', async (t) => {
  const store = new CertificateStore();
  const wild = await bundleFor(['*.apps.example.test']);
  const exact = await bundleFor(['special.apps.example.test']);
  store.set(wild);
  store.set(exact);
  const server = await startHttpsServer(store);
  t.teardown(() => server.close());

  t.is(await curlHttps('shop.apps.example.test', server.port, ca.caFile), `shop.apps.example.test:${server.port} ok\n`);
  t.is(await servedSerial('shop.apps.example.test', server.port), readCertificate(wild.certPem).serial);
  t.is(await servedSerial('special.apps.example.test', server.port), readCertificate(exact.certPem).serial);
  t.true(store.has('x.apps.example.test'));
  t.false(store.has('a.b.apps.example.test'), 'a wildcard covers exactly one label');
  t.false(store.has('apps.example.test'));
  await t.throwsAsync(curlHttps('a.b.apps.example.test', server.port, ca.caFile));

  store.remove(['special.apps.example.test']);
  t.is(await servedSerial('special.apps.example.test', server.port), readCertificate(wild.certPem).serial, 'after removal the wildcard serves it');
});

test('a certificate swapped while a client loops requests: no request fails, the new one is served', async (t) => {
  const store = new CertificateStore();
  const first = await bundleFor(['swap.example.test']);
  const second = await bundleFor(['swap.example.test']);
  store.set(first);
  const changes: string[] = [];
  store.onChange((c) => changes.push('removed' in c ? 'removed' : readCertificate(c.certPem).serial));
  const server = await startHttpsServer(store);
  t.teardown(() => server.close());

  let swapped!: () => void;
  const done = new Promise<void>((r) => (swapped = r));
  const progress = newLoadResult();
  const load = loopRequests({ name: 'swap.example.test', port: server.port, caPem: ca.caPem, maxRequests: 2000, until: done, maxMs: 30_000, progress });
  await waitFor(() => progress.ok + progress.failed >= 15, 20_000, '15 requests before the swap');
  store.set(second);
  await waitFor(() => progress.ok + progress.failed >= 30, 20_000, '15 requests after the swap');
  swapped();
  const res = await load;

  t.deepEqual(res.errors, []);
  t.is(res.failed, 0);
  t.true(res.ok >= 30, `only ${res.ok} requests`);
  t.deepEqual([...res.serials].sort(), [readCertificate(first.certPem).serial, readCertificate(second.certPem).serial].sort());
  t.deepEqual(changes, [readCertificate(second.certPem).serial]);
  t.deepEqual(store.all().map((b) => b.certPem), [second.certPem]);
});

test('a bundle whose key does not belong to the certificate is refused with a clear error', async (t) => {
  const one = await ca.issue(['one.example.test']);
  const two = await ca.issue(['two.example.test']);
  const err = t.throws(() => bundleFromPem(one.certPem, two.keyPem, 'certFile one.pem'));
  t.is(err?.message, 'certFile one.pem: the private key does not belong to the certificate');
  t.false(err.message.includes('PRIVATE KEY'));
});
