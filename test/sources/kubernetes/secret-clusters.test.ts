// ClusterSecretSource in process, against fake API servers through the real client-node: the
// cases the CLI tests do not reach (name clashes between Secrets, renames, an outage of the
// management cluster, settling without it).
import test from 'ava';
import type { Logger } from '../../../src/kernel/index.js';
import { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeSecretApi, ClusterFleet, ClusterSecretSource, EndpointStore, parseClusterSecret } from '../../../src/sources/index.js';
import { startFakeKube } from '../../support/fake-kube/index.js';
import type { FakeKube } from '../../support/fake-kube/index.js';

const NS = 'globaldns-system';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function secret(name: string, kubeconfig: string, cluster?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS, labels: { 'globaldns.io/kubeconfig': 'true', ...(cluster ? { 'globaldns.io/cluster': cluster } : {}) } },
    data: { kubeconfig: b64(kubeconfig) },
  };
}

function ingress(name: string, host: string, ip: string): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations: { 'globaldns.io/hostname': host } },
    spec: {},
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

interface Rig {
  mgmt: FakeKube;
  one: FakeKube;
  two: FakeKube;
  store: EndpointStore;
  source: ClusterSecretSource;
  lines: string[];
  /** host → sorted `cluster ip` pairs in the store. */
  served(host: string): string[];
  until(what: () => boolean, ms?: number): Promise<void>;
}

async function rig(t: { teardown(f: () => Promise<void> | void): void }, o: { settleTimeoutMs?: number; mgmtDown?: boolean } = {}): Promise<Rig> {
  const mgmt = await startFakeKube();
  const one = await startFakeKube();
  const two = await startFakeKube();
  one.apply(ingress('web', 'web.example.test', '192.0.2.1'));
  two.apply(ingress('web', 'web.example.test', '198.51.100.2'));
  const kc = new KubeConfig();
  kc.loadFromString(mgmt.kubeconfig('mgmt'));
  const lines: string[] = [];
  const rec = (level: string) => (_o: object, msg?: string) => void lines.push(`${level} ${msg ?? ''}`);
  const logger: Logger = { debug: () => {}, info: rec('info'), warn: rec('warn'), error: rec('error') };
  const store = new EndpointStore();
  const source = new ClusterSecretSource({
    api: new ClientNodeSecretApi(kc, NS, 'globaldns.io/kubeconfig=true'),
    namespace: NS,
    store,
    fleet: new ClusterFleet(store),
    cluster: { hostnameSources: { externalDnsAnnotations: false, ingressRules: false }, gracePeriodMs: 60_000, watchdogMs: 20_000 },
    backoff: { initialMs: 50, maxMs: 200 },
    watchdogMs: 20_000,
    settleTimeoutMs: o.settleTimeoutMs ?? 10_000,
    reserved: new Set(['from-config']),
    logger,
  });
  t.teardown(async () => {
    source.stop();
    await Promise.all([mgmt.stop(), one.stop(), two.stop()]);
  });
  return {
    mgmt,
    one,
    two,
    store,
    source,
    lines,
    served: (host) => store.byName(host).map((e) => `${e.cluster} ${e.targets.join(',')}`).sort(),
    async until(what, ms = 5000) {
      const t0 = Date.now();
      while (!what()) {
        if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms; log:\n${lines.join('\n')}`);
        await sleep(20);
      }
    },
  };
}

test('parseClusterSecret: name from the label or the Secret, context, and what is missing', (t) => {
  const ok = parseClusterSecret({ metadata: { name: 'cluster-east', labels: { 'globaldns.io/cluster': 'east' } }, data: { kubeconfig: b64('x'), context: b64('ctx\n') } });
  t.like(ok, { ok: true, cluster: 'east', kubeconfig: 'x', context: 'ctx' });
  t.like(parseClusterSecret({ metadata: { name: 'west' }, data: { kubeconfig: b64('x') } }), { ok: true, cluster: 'west' });
  t.deepEqual(parseClusterSecret({ metadata: { name: 'west' }, data: {} }), { ok: false, cluster: 'west', error: 'no data.kubeconfig' });
  const bad = parseClusterSecret({ metadata: { name: 'x', labels: { 'globaldns.io/cluster': 'has space' } }, data: { kubeconfig: b64('x') } });
  t.false(bad.ok);
  // A changed token changes the hash; the same content does not.
  const h = (k: string) => (parseClusterSecret({ metadata: { name: 'a' }, data: { kubeconfig: b64(k) } }) as { hash: string }).hash;
  t.is(h('token: 1'), h('token: 1'));
  t.not(h('token: 1'), h('token: 2'));
});

test('two Secrets naming one cluster: the running one keeps it; when it goes, the other takes over', async (t) => {
  const r = await rig(t);
  r.mgmt.apply(secret('first', r.one.kubeconfig('one'), 'shared'));
  r.source.start();
  await r.until(() => r.served('web.example.test').join() === 'shared 192.0.2.1');
  // "aaa" sorts before "first", but "first" runs the name already.
  r.mgmt.apply(secret('aaa', r.two.kubeconfig('two'), 'shared'));
  await r.until(() => r.source.states().some((s) => s.phase === 'Ignored'));
  t.deepEqual(r.served('web.example.test'), ['shared 192.0.2.1']);
  t.true(r.lines.some((l) => l.startsWith('error Secret globaldns-system/aaa: cluster shared is already defined by Secret globaldns-system/first')));

  r.mgmt.remove('Secret', NS, 'first');
  await r.until(() => r.served('web.example.test').join() === 'shared 198.51.100.2');
  t.deepEqual(r.source.clusters(), ['shared']);
  t.deepEqual(
    r.source.states().map((s) => `${s.cluster} ${s.phase}`),
    ['shared Synced'],
  );
});

test('a Secret that now names another cluster: the old name is withdrawn, the new one served', async (t) => {
  const r = await rig(t);
  r.mgmt.apply(secret('s', r.one.kubeconfig('one'), 'old-name'));
  r.source.start();
  await r.until(() => r.served('web.example.test').join() === 'old-name 192.0.2.1');
  r.mgmt.apply(secret('s', r.one.kubeconfig('one'), 'new-name'));
  await r.until(() => r.served('web.example.test').join() === 'new-name 192.0.2.1');
  t.deepEqual(r.store.byClusterName('old-name'), []);
  t.true(r.lines.some((l) => l.includes('cluster old-name: Secret globaldns-system/s now names cluster new-name')));
  // A name the config file has: ignored, and the cluster it ran is removed.
  r.mgmt.apply(secret('s', r.one.kubeconfig('one'), 'from-config'));
  await r.until(() => r.served('web.example.test').length === 0);
  t.deepEqual(r.source.states().map((s) => `${s.cluster} ${s.phase}`), ['Secret globaldns-system/s Ignored']);
});

test('a Secret deleted while the management cluster is down is removed by the re-list after it comes back', async (t) => {
  const r = await rig(t);
  r.mgmt.apply(secret('one', r.one.kubeconfig('one')));
  r.mgmt.apply(secret('two', r.two.kubeconfig('two')));
  r.source.start();
  await r.until(() => r.served('web.example.test').length === 2);
  await r.mgmt.goDown();
  await r.until(() => r.source.watchFailure() !== undefined);
  // The clusters run on while the Secrets cannot be read.
  await sleep(300);
  t.deepEqual(r.served('web.example.test'), ['one 192.0.2.1', 'two 198.51.100.2']);
  r.mgmt.remove('Secret', NS, 'two');
  await r.mgmt.comeUp();
  await r.until(() => r.served('web.example.test').join() === 'one 192.0.2.1');
  await r.until(() => r.source.watchFailure() === undefined);
  t.true(r.lines.some((l) => l.startsWith('warn cluster Secrets: list secrets in globaldns-system:') || l.startsWith('warn cluster Secrets: watch secrets in globaldns-system:')));
});

test('whenSettled: after the first list and its clusters; or after the timeout when the Secrets cannot be listed', async (t) => {
  const r = await rig(t, { settleTimeoutMs: 400 });
  r.mgmt.apply(secret('one', r.one.kubeconfig('one')));
  r.source.start();
  await r.source.whenSettled();
  t.true(r.source.synced());
  t.deepEqual(r.served('web.example.test'), ['one 192.0.2.1']);

  const down = await rig(t, { settleTimeoutMs: 400 });
  await down.mgmt.goDown();
  const t0 = Date.now();
  down.source.start();
  await down.source.whenSettled();
  t.true(Date.now() - t0 >= 350);
  t.false(down.source.synced());
  t.true(down.lines.some((l) => l.includes('not listed within')));
});
