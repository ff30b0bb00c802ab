// The proxy in management (cluster) mode, through the real CLI: GlobalDNS resources in a fake
// management cluster are proxied like YAML entries. A `spec.proxy.tls.secretName` names a
// kubernetes.io/tls Secret (in the entry's namespace) whose certificate is served by SNI and
// swapped when the Secret changes; deleting the GlobalDNS removes the route. With ACME, only
// the leader orders; another replica serves the certificate from the shared Secret.
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { startFakeKube, type FakeKube } from '../support/fake-kube/index.js';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { waitFor } from '../support/wait.js';
import { startPebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';
import { ingress } from '../integration/kube-world.js';
import { makeTestCa, type Leaf } from './tls/test-ca.js';
import { curl, sleep, upstream } from './world.js';

const APEX = 'proxy.test';
const SHOP = `shop.${APEX}`;
const API = `api.${APEX}`;
const LEASE_NS = 'globaldns-system';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tlsSecret(namespace: string, name: string, leaf: Leaf): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(leaf.certPem), 'tls.key': b64(leaf.keyPem) } };
}

function globalDns(namespace: string, name: string, fqdn: string, proxy: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNS',
    metadata: { name, namespace },
    spec: { fqdn, ttl: 60, providerRef: 'emb', targets: [{ cluster: 'east' }], proxy },
  };
}

const embeddedProvider = { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name: 'emb' }, spec: { type: 'embedded' } };

/** stdin → a command's stdout. */
function pipe(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    // A command that exits first (no handshake) closes its stdin: not an error here.
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

/** The serial and SANs `openssl s_client` is shown for SNI `name`, and its verification against `caFile`; undefined without a handshake. */
async function served(port: number, name: string, caFile: string): Promise<{ serial: string; san: string; verify: string } | undefined> {
  const session = await pipe('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', caFile], '').catch(() => '');
  if (!session.includes('BEGIN CERTIFICATE')) return undefined;
  const facts = await pipe('openssl', ['x509', '-noout', '-serial', '-ext', 'subjectAltName'], session);
  return {
    serial: /serial=([0-9A-F]+)/i.exec(facts)?.[1]?.toUpperCase() ?? '',
    san: /DNS:[^\n]*/.exec(facts)?.[0]?.trim() ?? '',
    verify: /Verify return code: (\d+ \([^)]*\))/.exec(session)?.[1] ?? '',
  };
}

async function serialOf(leaf: Leaf): Promise<string> {
  return /serial=([0-9A-F]+)/i.exec(await pipe('openssl', ['x509', '-noout', '-serial'], leaf.certPem))![1].toUpperCase();
}

const until = <T>(f: () => Promise<T | undefined>, ms: number, what: () => string): Promise<T> => waitFor(f, ms, what, { intervalMs: 200 });

interface Replica {
  gd: Globaldns;
  httpPort: number;
  httpsPort: number;
}

/** A `globaldns serve` in management mode with the proxy on its own ports. */
async function replica(o: {
  mgmt: FakeKube;
  east: FakeKube;
  identity: string;
  httpPort?: number;
  workers?: number;
  acme?: Record<string, unknown>;
  files?: Record<string, string>;
  /** Lease timings (default 3s / 2s / 300ms); longer ones keep a loaded machine from changing leaders. */
  lease?: { leaseDuration: string; renewDeadline: string; retryPeriod: string };
}): Promise<Replica> {
  const httpPort = o.httpPort ?? (await freePort({ ipv6: false }));
  const httpsPort = await freePort({ ipv6: false });
  const config = {
    zones: [{ apex: APEX, records: [`ns1 3600 IN A 127.0.0.1`] }],
    sources: { gracePeriod: '3s', backoff: { initial: '100ms', max: '400ms' } },
    clusters: [{ kubeconfig: 'kube/east.yaml' }],
    providers: [],
    entries: [],
    sync: { debounce: '100ms', maxDelay: '500ms', resync: false },
    management: { kubeconfig: 'kube/mgmt.yaml', identity: o.identity, leaseNamespace: LEASE_NS, leaseName: 'globaldns', ...(o.lease ?? { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '300ms' }) },
    logLevel: 'info',
    proxy: {
      http: `127.0.0.1:${httpPort}`,
      https: `127.0.0.1:${httpsPort}`,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      secretPoll: '1s',
      ...(o.acme ? { acme: o.acme } : {}),
    },
  };
  const gd = await startGlobaldns({
    configYaml: YAML.stringify(config),
    files: { 'kube/east.yaml': o.east.kubeconfig('east'), 'kube/mgmt.yaml': o.mgmt.kubeconfig('mgmt'), ...o.files },
    ipv6: false,
    startTimeoutMs: 30_000,
  });
  return { gd, httpPort, httpsPort };
}

test.serial('a GlobalDNS with proxy.tls.secretName: its Secret served by SNI, traffic to the workload cluster, a Secret update swaps the certificate, deletion gives 404', async (t) => {
  const ca = await makeTestCa();
  t.teardown(() => ca.close());
  const caFile = path.join(ca.dir, 'ca.pem');
  const mgmt = await startFakeKube();
  const east = await startFakeKube();
  t.teardown(() => Promise.all([mgmt.stop(), east.stop()]));
  const upstreamPort = await freePort({ ipv6: false });
  const shop = upstream('east', '127.0.0.2', upstreamPort);
  await shop.start();
  t.teardown(() => shop.stop());

  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: SHOP, ips: ['127.0.0.2'] }));
  mgmt.apply(embeddedProvider);
  const first = await ca.issue([SHOP]);
  // The Secret is in the entry's namespace; a same-named one elsewhere must not be picked.
  mgmt.apply(tlsSecret('shop', 'shop-tls', first));
  mgmt.apply(tlsSecret(LEASE_NS, 'shop-tls', await ca.issue([SHOP])));
  mgmt.apply(globalDns('shop', 'web', SHOP, { upstreamPort, redirectHttps: false, tls: { secretName: 'shop-tls' } }));

  const r = await replica({ mgmt, east, identity: 'replica-0' });
  t.teardown(() => r.gd.cleanup());
  const logTail = () => r.gd.logs().split('\n').slice(-25).join('\n');
  const httpsGet = (extra: string[] = []) => curl(['--max-time', '10', '--resolve', `${SHOP}:${r.httpsPort}:127.0.0.1`, '--cacert', caFile, ...extra, `https://${SHOP}:${r.httpsPort}/`]);
  const httpGet = () => curl(['--max-time', '10', '-H', `host: ${SHOP}`, `http://127.0.0.1:${r.httpPort}/`]);

  // HTTPS with the Secret's certificate, verified against the test CA, answered by the workload cluster's upstream.
  const ok = await until(
    async () => {
      const res = await httpsGet();
      return res.status === 200 ? res : undefined;
    },
    20_000,
    () => `https ${SHOP}\n${logTail()}`,
  );
  t.is(ok.body, 'east');
  const firstSerial = await serialOf(first);
  const seen = await served(r.httpsPort, SHOP, caFile);
  t.deepEqual(seen, { serial: firstSerial, san: `DNS:${SHOP}`, verify: '0 (ok)' });
  const plain = await httpGet();
  t.is(plain.status, 200);
  t.is(plain.body, 'east');
  t.is(shop.lastHeaders.host, SHOP);

  // The Secret is updated: the next handshakes get the new certificate, same process.
  const pid = r.gd.pid;
  const second = await ca.issue([SHOP]);
  const secondSerial = await serialOf(second);
  mgmt.apply(tlsSecret('shop', 'shop-tls', second));
  await until(async () => ((await served(r.httpsPort, SHOP, caFile))?.serial === secondSerial ? true : undefined), 15_000, () => `serial ${secondSerial}\n${logTail()}`);
  t.true(r.gd.alive());
  t.is(r.gd.pid, pid, 'no restart');
  const after = await httpsGet();
  t.is(after.status, 200, after.stderr);
  t.is(after.body, 'east');

  // The resource is deleted: the host is unknown again.
  mgmt.delete('GlobalDNS', 'shop', 'web');
  const gone = await until(
    async () => {
      const res = await httpGet();
      return res.status === 404 ? res : undefined;
    },
    15_000,
    () => `404 for ${SHOP}\n${logTail()}`,
  );
  t.regex(gone.body, new RegExp(`no route for host "${SHOP.replace(/\./g, '\\.')}"`));
  // Its certificate goes with it: no handshake for the name any more.
  await until(async () => ((await served(r.httpsPort, SHOP, caFile)) === undefined ? true : undefined), 10_000, () => 'certificate withdrawn');
  t.false(r.gd.logs().includes('PRIVATE KEY'), 'no key in the logs');
});

test.serial('ACME in cluster mode: a replica that does not lead orders nothing and serves the shared Secret; once it leads, it orders', async (t) => {
  const mgmt = await startFakeKube();
  const east = await startFakeKube();
  t.teardown(() => Promise.all([mgmt.stop(), east.stop()]));
  const upstreamPort = await freePort({ ipv6: false });
  const shop = upstream('east', '127.0.0.2', upstreamPort);
  await shop.start();
  t.teardown(() => shop.stop());
  const httpPort = await freePort({ ipv6: false });
  const pebble = await startPebble({ httpPort, names: { [SHOP]: '127.0.0.1', [API]: '127.0.0.1' } });
  t.teardown(() => pebble.stop());
  const orders = () => (pebble.logs().match(/Added order/g) ?? []).length;

  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: SHOP, ips: ['127.0.0.2'] }));
  east.apply(ingress({ name: 'api', namespace: 'shop', hosts: API, ips: ['127.0.0.2'] }));
  mgmt.apply(embeddedProvider);
  // Another replica holds the Lease (and keeps it: a long duration, never seen to lapse).
  const now = new Date().toISOString().replace('Z', '000Z');
  mgmt.apply({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'globaldns', namespace: LEASE_NS },
    spec: { holderIdentity: 'replica-other', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now },
  });
  mgmt.apply(globalDns('shop', 'web', SHOP, { upstreamPort, tls: { acme: true } }));
  mgmt.apply(globalDns('shop', 'api', API, { upstreamPort, tls: { acme: true } }));

  const r = await replica({ mgmt, east, identity: 'replica-0', httpPort, workers: 1, acme: { directoryUrl: pebble.directoryUrl, caFile: 'pebble-server-ca.pem' }, files: { 'pebble-server-ca.pem': pebble.serverCaPem } });
  t.teardown(() => r.gd.cleanup());
  const logTail = () => r.gd.logs().split('\n').slice(-20).join('\n');
  const rootFile = path.join(r.gd.dir, 'pebble-root.pem');
  await writeFile(rootFile, await pebble.rootPem());
  const get = (name: string) => curl(['--max-time', '10', '--resolve', `${name}:${r.httpsPort}:127.0.0.1`, '--cacert', rootFile, `https://${name}:${r.httpsPort}/`]);

  // Routed over HTTP at once; no order while another replica leads, so no certificate yet.
  await until(async () => ((await curl(['--max-time', '10', '-H', `host: ${SHOP}`, `http://127.0.0.1:${r.httpPort}/`])).status === 200 ? true : undefined), 20_000, logTail);
  await sleep(3000);
  t.is(orders(), 0, 'a follower places no ACME order');
  t.is(await served(r.httpsPort, SHOP, rootFile), undefined);

  // The leader (here: the test) stored a certificate in the shared Secret: the follower serves it.
  const ca = await makeTestCa();
  t.teardown(() => ca.close());
  const issued = await ca.issue([SHOP]);
  mgmt.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `globaldns-acme-${SHOP}`, namespace: LEASE_NS, annotations: { 'globaldns.io/host': SHOP } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(issued.certPem), 'tls.key': b64(issued.keyPem) },
  });
  const caFile = path.join(ca.dir, 'ca.pem');
  const fromSecret = await until(
    async () => {
      const res = await curl(['--max-time', '10', '--resolve', `${SHOP}:${r.httpsPort}:127.0.0.1`, '--cacert', caFile, `https://${SHOP}:${r.httpsPort}/`]);
      return res.status === 200 ? res : undefined;
    },
    15_000,
    () => `${SHOP} from the shared Secret\n${logTail()}`,
  );
  t.is(fromSecret.body, 'east');
  t.is((await served(r.httpsPort, SHOP, caFile))?.serial, await serialOf(issued));
  t.is(orders(), 0, 'still no order');

  // The other replica is gone (its Lease deleted): this one leads and orders what is missing, and only that.
  mgmt.delete('Lease', LEASE_NS, 'globaldns');
  const fromOrder = await until(
    async () => {
      const res = await get(API);
      return res.status === 200 ? res : undefined;
    },
    40_000,
    () => `${API} ordered once leading\n${logTail()}`,
  );
  t.is(fromOrder.body, 'east');
  t.true(r.gd.logs().includes('placing ACME orders (leading)'));
  await sleep(1000);
  t.is(orders(), 1, 'one order, for the name without a certificate');
  t.is((await served(r.httpsPort, SHOP, caFile))?.serial, await serialOf(issued), 'the stored certificate is kept');
});
